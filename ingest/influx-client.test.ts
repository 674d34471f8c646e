/** How the ingest and the web service are told to reach InfluxDB (the connection itself: tests/influxd.test.ts). */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, readConfig } from '../common/config.ts';
import { checkInfluxEnv, createInflux, influxAccess, influxEnv, influxUrlForLogs } from './influx-client.ts';

const schema = z.object({ ...influxEnv }).superRefine(checkInfluxEnv);
const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});
function file(name: string, text: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'vigie-influx-env-'));
  writeFileSync(join(dir, name), text);
  return join(dir, name);
}
function problems(env: Record<string, string>): string[] {
  try {
    readConfig(schema, env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('InfluxDB configuration', () => {
  it('needs nothing for an InfluxDB without authentication', () => {
    const c = readConfig(schema, {});
    expect(c.INFLUX_URL).toBe('http://127.0.0.1:8086');
    expect(influxAccess(c)).toEqual({});
  });

  it('reads credentials and the certificate file to trust, once, at start-up', () => {
    const ca = file('ca.pem', PEM);
    const c = readConfig(schema, {
      INFLUX_URL: 'https://127.0.0.1:8086',
      INFLUX_USERNAME: 'vigie',
      INFLUX_PASSWORD: 'pw',
      INFLUX_CA: ca,
    });
    expect(influxAccess(c)).toEqual({ username: 'vigie', password: 'pw', ca: PEM });
  });

  it.each([
    [{ INFLUX_USERNAME: 'vigie' }, 'INFLUX_PASSWORD: INFLUX_USERNAME and INFLUX_PASSWORD go together'],
    [{ INFLUX_PASSWORD: 'pw' }, 'INFLUX_PASSWORD: INFLUX_USERNAME and INFLUX_PASSWORD go together'],
    [
      { INFLUX_URL: 'http://a:b@127.0.0.1:8086', INFLUX_USERNAME: 'vigie', INFLUX_PASSWORD: 'pw' },
      'INFLUX_USERNAME: credentials are given both in INFLUX_URL and in INFLUX_USERNAME: keep one',
    ],
    [{ INFLUX_URL: 'mqtt://127.0.0.1:1883' }, 'INFLUX_URL: must be an http or https URL'],
  ])('refuses %j', (env, problem) => {
    expect(problems(env)).toEqual([problem]);
  });

  it('refuses a certificate file it cannot read, or that holds none, or for an http URL', () => {
    expect(problems({ INFLUX_URL: 'https://127.0.0.1:8086', INFLUX_CA: '/nonexistent/ca.pem' })).toEqual([
      expect.stringMatching(/^INFLUX_CA: cannot read \/nonexistent\/ca.pem: ENOENT/),
    ]);
    const notPem = file('key.txt', 'hello');
    expect(problems({ INFLUX_URL: 'https://127.0.0.1:8086', INFLUX_CA: notPem })).toEqual([
      `INFLUX_CA: ${notPem} holds no PEM certificate`,
    ]);
    expect(problems({ INFLUX_CA: file('ca.pem', PEM) })).toEqual([
      'INFLUX_CA: a CA certificate only applies to an https INFLUX_URL',
    ]);
  });
});

describe('createInflux', () => {
  it('refuses a certificate for an http URL, and a URL that is neither http nor https', () => {
    expect(() => createInflux('http://127.0.0.1:8086', { ca: PEM })).toThrow(TypeError);
    expect(() => createInflux('ftp://127.0.0.1:8086')).toThrow(TypeError);
  });
});

it('logs the InfluxDB URL without its credentials', () => {
  expect(influxUrlForLogs('https://vigie:s3cret@influx.example.org:8086')).toBe('https://influx.example.org:8086');
  expect(influxUrlForLogs('http://u:p@10.0.0.2:8086/influx')).toBe('http://10.0.0.2:8086/influx');
});
