/**
 * The node-influx client for Vigie's database, and the environment variables that say how to reach
 * it (read by the ingest and the web service): a URL, credentials, and for https the certificate to
 * trust when the server's is not signed by a public authority (the project-managed influxd's own).
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { InfluxDB } from 'influx';
import { ConstantBackoff } from 'influx/lib/src/backoff/constant.js';
import { z } from 'zod';
import { env } from '../common/config.ts';
import { DATABASE, SCHEMA } from './schema.ts';

/** What a client needs besides the URL. An operator's own InfluxDB may need none of it. */
export interface InfluxAccess {
  readonly username?: string;
  readonly password?: string;
  /** PEM certificate(s) trusted for an https URL, instead of the system's authorities. */
  readonly ca?: string;
}

/**
 * A client for `url` (http or https). Credentials come from `access`, else from the URL's userinfo
 * (`http://user:pass@host:8086`).
 */
export function createInflux(url: string, access: InfluxAccess = {}): InfluxDB {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  if (!https && u.protocol !== 'http:') throw new TypeError(`InfluxDB URL must be http or https, not ${u.protocol}`);
  if (access.ca !== undefined && !https) throw new TypeError('a CA certificate only applies to an https InfluxDB URL');
  const credentials =
    access.username !== undefined
      ? { username: access.username, password: access.password ?? '' }
      : u.username
        ? { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) }
        : {};
  return new InfluxDB({
    protocol: https ? 'https' : 'http',
    host: u.hostname,
    port: Number(u.port || (https ? 443 : 8086)),
    database: DATABASE,
    schema: SCHEMA,
    ...credentials,
    // node-influx hands a host's options to https.request: `ca` replaces the system's authorities.
    ...(access.ca !== undefined ? { options: { ca: access.ca } } : {}),
    // Our writer retries in order itself; the pool should only pause briefly after a failure.
    pool: { maxRetries: 0, requestTimeout: 30_000, backoff: new ConstantBackoff({ delay: 250, jitter: 0.2 }) },
  });
}

/** InfluxDB answered a write with an error status (4xx: refused for good, but 429; 5xx: try again). */
export class InfluxWriteError extends Error {
  override readonly name = 'InfluxWriteError';
  constructor(
    readonly status: number,
    body: string,
  ) {
    super(`InfluxDB refused the write: ${status} ${body.slice(0, 500)}`);
  }
}

/** Writes line protocol as it is (ingest/line-protocol.ts): one POST /write per call. */
export interface LineWriter {
  /** Resolves once InfluxDB has stored every line (204); rejects with InfluxWriteError or a network error. */
  write(lines: string | Buffer, options: { readonly retentionPolicy: string }): Promise<void>;
  close(): void;
}

/**
 * A line-protocol writer for `url`, with the same credentials and trusted certificate as
 * createInflux. node-influx only writes point objects, which it serialises again on every write.
 */
export function createLineWriter(url: string, access: InfluxAccess = {}): LineWriter {
  const u = new URL(url);
  const https = u.protocol === 'https:';
  if (!https && u.protocol !== 'http:') throw new TypeError(`InfluxDB URL must be http or https, not ${u.protocol}`);
  const username = access.username ?? (u.username ? decodeURIComponent(u.username) : undefined);
  const password = access.password ?? (u.username ? decodeURIComponent(u.password) : '');
  const agent = https
    ? new HttpsAgent({ keepAlive: true, maxSockets: 4, ...(access.ca !== undefined ? { ca: access.ca } : {}) })
    : new HttpAgent({ keepAlive: true, maxSockets: 4 });
  const request = https ? httpsRequest : httpRequest;
  const headers: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
  if (username !== undefined)
    headers.authorization = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
  return {
    write: (lines, { retentionPolicy }) =>
      new Promise<void>((resolve, reject) => {
        const query = new URLSearchParams({ db: DATABASE, rp: retentionPolicy, precision: 'n' });
        const body = typeof lines === 'string' ? Buffer.from(lines) : lines;
        const req = request(
          {
            protocol: u.protocol,
            hostname: u.hostname,
            port: Number(u.port || (https ? 443 : 8086)),
            path: `/write?${query.toString()}`,
            method: 'POST',
            agent,
            headers: { ...headers, 'content-length': String(body.length) },
            timeout: 30_000,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('error', reject);
            res.on('end', () => {
              const status = res.statusCode ?? 0;
              if (status === 204) resolve();
              else reject(new InfluxWriteError(status, Buffer.concat(chunks).toString('utf8')));
            });
          },
        );
        req.on('timeout', () => req.destroy(new Error('InfluxDB write timed out')));
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}

/** A PEM certificate file named by a variable, read once with the rest of the configuration. */
const pemFile = z
  .string()
  .min(1)
  .transform((path, ctx) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `cannot read ${path}: ${error instanceof Error ? error.message : ''}` });
      return z.NEVER;
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) {
      ctx.addIssue({ code: 'custom', message: `${path} holds no PEM certificate` });
      return z.NEVER;
    }
    return text;
  });

/**
 * How the ingest and the web service reach InfluxDB (README, "Configuration"). Spread into the
 * service's schema and check it with `checkInfluxEnv`; INFLUX_CA arrives as the certificate's text.
 */
export const influxEnv = {
  INFLUX_URL: env.url('http://127.0.0.1:8086'),
  INFLUX_USERNAME: z.string().min(1).optional(),
  INFLUX_PASSWORD: z.string().min(1).optional(),
  INFLUX_CA: pemFile.optional(),
};

export interface InfluxEnv {
  readonly INFLUX_URL: string;
  readonly INFLUX_USERNAME?: string | undefined;
  readonly INFLUX_PASSWORD?: string | undefined;
  readonly INFLUX_CA?: string | undefined;
}

/** The checks between the variables of `influxEnv`, for the service schema's superRefine. */
export function checkInfluxEnv(c: InfluxEnv, ctx: z.RefinementCtx): void {
  const problem = (path: keyof InfluxEnv, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  const url = new URL(c.INFLUX_URL);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') problem('INFLUX_URL', 'must be an http or https URL');
  if ((c.INFLUX_USERNAME === undefined) !== (c.INFLUX_PASSWORD === undefined)) {
    problem('INFLUX_PASSWORD', 'INFLUX_USERNAME and INFLUX_PASSWORD go together');
  }
  if (c.INFLUX_USERNAME !== undefined && url.username) {
    problem('INFLUX_USERNAME', 'credentials are given both in INFLUX_URL and in INFLUX_USERNAME: keep one');
  }
  if (c.INFLUX_CA !== undefined && url.protocol !== 'https:') {
    problem('INFLUX_CA', 'a CA certificate only applies to an https INFLUX_URL');
  }
}

/** The `createInflux` access of a configuration read with `influxEnv`. */
export function influxAccess(c: Omit<InfluxEnv, 'INFLUX_URL'>): InfluxAccess {
  return {
    ...(c.INFLUX_USERNAME !== undefined ? { username: c.INFLUX_USERNAME, password: c.INFLUX_PASSWORD ?? '' } : {}),
    ...(c.INFLUX_CA !== undefined ? { ca: c.INFLUX_CA } : {}),
  };
}

/** The URL without its userinfo, for logs. */
export function influxUrlForLogs(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.pathname === '/' ? u.origin : u.toString();
}
