import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, env, readConfig } from './config.ts';

const schema = z.object({
  PORT: env.port(1883),
  URL: env.url('http://127.0.0.1:8086'),
  SECRET: z.string().min(1),
  ON: env.bool(false),
});

describe('readConfig', () => {
  it('applies defaults and coerces, into a frozen object', () => {
    const c = readConfig(schema, { SECRET: 's', PORT: '1884', ON: '1' });
    expect(c).toEqual({ PORT: 1884, URL: 'http://127.0.0.1:8086', SECRET: 's', ON: true });
    expect(Object.isFrozen(c)).toBe(true);
  });
  it('reports every problem at once, naming each variable', () => {
    try {
      readConfig(schema, { PORT: '70000', URL: 'not a url', ON: 'maybe' });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems.join('\n');
      for (const name of ['PORT', 'URL', 'SECRET', 'ON']) expect(problems).toContain(name);
    }
  });
});
