import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, readConfig } from '../common/config.ts';
import { checkPscEnv } from './psc-env.ts';

const schema = z
  .object({
    PSC_DISCOVERY_URL: z.string().optional(),
    PSC_CLIENT_ID: z.string().optional(),
    PSC_CLIENT_SECRET: z.string().optional(),
  })
  .superRefine(checkPscEnv);

describe("the web service's Pro Santé Connect variables", () => {
  it('are all three or none', () => {
    expect(readConfig(schema, {})).toEqual({});
    const all = { PSC_DISCOVERY_URL: 'https://psc.test/x', PSC_CLIENT_ID: 'id', PSC_CLIENT_SECRET: 'secret' };
    expect(readConfig(schema, all)).toEqual(all);
  });

  it('names every missing one at once', () => {
    let problems: readonly string[] = [];
    try {
      readConfig(schema, { PSC_CLIENT_ID: 'id' });
    } catch (err) {
      if (err instanceof ConfigError) problems = err.problems;
    }
    expect(problems).toEqual([
      'PSC_DISCOVERY_URL: is required with PSC_CLIENT_ID (Pro Santé Connect)',
      'PSC_CLIENT_SECRET: is required with PSC_CLIENT_ID (Pro Santé Connect)',
    ]);
  });
});
