/**
 * A project-managed InfluxDB 1.x server (`influxd` from Debian's influxdb package): its own config,
 * data under a folder we choose, loopback ports. Used by the demo, the tests and the benchmarks.
 *
 * It holds health data, so authentication is on (an admin account generated at first start, kept in
 * the folder) and it speaks only https, with a certificate made for it at first start. influxd 1.x
 * echoes any Origin in Access-Control-Allow-Origin and its HTTP listener cannot be turned off; over
 * https with a certificate no browser trusts, no web page can reach it at all (every fetch fails at
 * the TLS handshake, without a prompt), while our services trust exactly that certificate.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { setPriority } from 'node:os';
import { z } from 'zod';
import { freePort } from './free-port.ts';
import { narrowIfExists, privateDir, writePrivateFile } from './private-files.ts';

/** influxd's scheduling priority (nice): below the services on the alarm path. */
export const INFLUXD_NICENESS = 10;

export interface InfluxdOptions {
  /** Folder for meta, data, wal, the generated config, the certificate and the credentials. */
  readonly dir: string;
  readonly httpPort?: number;
  readonly binary?: string;
  /** The openssl command that makes the certificate at first start. */
  readonly openssl?: string;
}

/** What a client needs besides the URL (the shape createInflux takes). */
export interface InfluxdAccess {
  readonly username: string;
  readonly password: string;
  /** The server's own certificate (PEM): the one to trust for its https URL. */
  readonly ca: string;
}

export interface InfluxdRequest {
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  readonly contentType?: string;
  /** Send the admin credentials (default true). */
  readonly credentials?: boolean;
}

export interface Influxd {
  /** https://127.0.0.1:port */
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  readonly access: InfluxdAccess;
  /** The files in `dir` that other processes and people use to reach it. */
  readonly files: {
    /** The certificate (PEM), for INFLUX_CA (or SSL_CERT_FILE for the influx CLI). */
    readonly ca: string;
    /** INFLUX_USERNAME=... and INFLUX_PASSWORD=... lines (0600), which the influx CLI reads too. */
    readonly credentials: string;
  };
  /** The variables that point Vigie's services at this server. */
  readonly env: Readonly<Record<'INFLUX_URL' | 'INFLUX_USERNAME' | 'INFLUX_PASSWORD' | 'INFLUX_CA', string>>;
  /** One HTTP request over its https, trusting its certificate (for raw writes and checks). */
  request(path: string, init?: InfluxdRequest): Promise<{ status: number; body: string }>;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
}

export class InfluxdNotInstalledError extends Error {
  override readonly name = 'InfluxdNotInstalledError';
}

const USERNAME = 'vigie';
const CERT_FILE = 'tls-cert.pem';
const KEY_FILE = 'tls-key.pem';
const CREDENTIALS_FILE = 'credentials.env';

export async function startInfluxd(options: InfluxdOptions): Promise<Influxd> {
  const binary = options.binary ?? process.env.INFLUXD_BIN ?? '/usr/bin/influxd';
  if (!existsSync(binary)) {
    throw new InfluxdNotInstalledError(
      `${binary} not found: install InfluxDB 1.x (Debian: apt-get install influxdb influxdb-client), or run npm run setup`,
    );
  }
  const { dir } = options;
  // influxd creates its own files readable by all: a private folder keeps them to this user.
  privateDir(dir);
  const tls = await certificate(dir, options.openssl ?? 'openssl');
  const credentialsPath = join(dir, CREDENTIALS_FILE);
  const credentials = readCredentials(credentialsPath);
  const port = options.httpPort ?? (await freePort());
  const rpcPort = await freePort();
  const configPath = join(dir, 'influxdb.conf');
  writePrivateFile(configPath, config(dir, port, rpcPort, tls));
  const url = `https://127.0.0.1:${port}`;
  const access: InfluxdAccess = { ...credentials, ca: tls.cert };
  const agent = new Agent({ ca: tls.cert, keepAlive: true });
  const request = (path: string, init: InfluxdRequest = {}) =>
    send(agent, `${url}${path}`, init, init.credentials === false ? undefined : credentials);
  let child: ChildProcess | undefined;
  let stderr = '';

  const start = async () => {
    // Still running? One stopped by a signal (SIGKILL after a slow shutdown) has exitCode null too.
    if (child && child.exitCode === null && child.signalCode === null) return;
    stderr = '';
    child = spawn(binary, ['-config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    // The alarm path (broker, ingest, web service) goes first when the machine is short of CPU:
    // storing readings can wait, on disk, in the ingest's queue; a fall cannot.
    if (child.pid !== undefined) setPriority(child.pid, INFLUXD_NICENESS);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(
        `influxd exited with ${String(code)} before answering: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    });
    await Promise.race([
      waitForPing(request, url, 30_000).then(() => ensureAdmin(request, credentials, credentialsPath)),
      exited,
    ]);
  };
  const stop = async () => {
    agent.destroy(); // kept-alive connections would outlive the server
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = once(c, 'exit');
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return {
    url,
    port,
    get pid() {
      return child?.pid;
    },
    access,
    files: { ca: tls.certPath, credentials: credentialsPath },
    env: {
      INFLUX_URL: url,
      INFLUX_USERNAME: credentials.username,
      INFLUX_PASSWORD: credentials.password,
      INFLUX_CA: tls.certPath,
    },
    request,
    stop,
    start,
  };
}

type Request = (path: string, init?: InfluxdRequest) => Promise<{ status: number; body: string }>;

function send(
  agent: Agent,
  url: string,
  init: InfluxdRequest,
  credentials: { username: string; password: string } | undefined,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      {
        agent,
        method: init.method ?? 'GET',
        timeout: 30_000,
        headers: {
          ...(init.contentType ? { 'content-type': init.contentType } : {}),
          ...(credentials ? { authorization: basic(credentials) } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer from ${new URL(url).origin} in 30 s`)));
    req.on('error', reject);
    req.end(init.body);
  });
}

const basic = (c: { username: string; password: string }) =>
  `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;

const query = (request: Request, q: string, credentials = true) =>
  request('/query', {
    method: 'POST',
    contentType: 'application/x-www-form-urlencoded',
    body: new URLSearchParams({ q }).toString(),
    credentials,
  });

async function waitForPing(request: Request, url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await request('/ping', { credentials: false })).status === 204) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`influxd did not answer ${url}/ping within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const queryAnswer = z.object({
  error: z.string().optional(),
  results: z.array(z.object({ error: z.string().optional() })).optional(),
});
function queryError(res: { status: number; body: string }): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(res.body);
  } catch {
    return `HTTP ${res.status}`;
  }
  const answer = queryAnswer.safeParse(json);
  if (!answer.success) return `HTTP ${res.status}`;
  const error = answer.data.error ?? answer.data.results?.find((r) => r.error)?.error;
  return error ?? (res.status === 200 ? undefined : `HTTP ${res.status}`);
}

/** Signs in with the generated credentials; on a server with no user yet, creates the admin first. */
async function ensureAdmin(
  request: Request,
  { username, password }: { username: string; password: string },
  credentialsPath: string,
): Promise<void> {
  if (queryError(await query(request, 'SHOW USERS')) === undefined) return;
  // With no user at all, influxd 1.x accepts this one statement without credentials.
  const created = queryError(
    await query(request, `CREATE USER "${username}" WITH PASSWORD '${password}' WITH ALL PRIVILEGES`, false),
  );
  if (created === undefined) return;
  throw new Error(
    `influxd has users, and ${credentialsPath} is not an admin's (${created}): ` +
      'restore that file, or set a new password with authentication off (auth-enabled = false)',
  );
}

/** Generated names and passwords only, so that they go into InfluxQL and a shell file unquoted. */
const credentialsSchema = z.object({
  INFLUX_USERNAME: z.string().regex(/^[a-z][a-z0-9_]*$/),
  INFLUX_PASSWORD: z.string().regex(/^[A-Za-z0-9_-]{32,}$/),
});

/** The admin account, generated once and kept 0600 in the folder. */
function readCredentials(path: string): { username: string; password: string } {
  if (existsSync(path)) narrowIfExists(path);
  else
    writePrivateFile(path, `INFLUX_USERNAME=${USERNAME}\nINFLUX_PASSWORD=${randomBytes(32).toString('base64url')}\n`);
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.includes('='))
    .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1).trim()]);
  const r = credentialsSchema.safeParse(Object.fromEntries(lines));
  if (!r.success) throw new Error(`${path} holds no generated INFLUX_USERNAME and INFLUX_PASSWORD`);
  return { username: r.data.INFLUX_USERNAME, password: r.data.INFLUX_PASSWORD };
}

/**
 * The server's certificate, made once: self-signed, EC P-256, for 127.0.0.1 only, able to sign
 * nothing else (CA:FALSE), so that trusting it trusts this server and no other.
 */
async function certificate(dir: string, openssl: string): Promise<{ cert: string; certPath: string; keyPath: string }> {
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);
  if (!existsSync(certPath) || !existsSync(keyPath)) {
    // The key is written into the private folder, then narrowed: openssl's own mode depends on its version.
    try {
      await promisify(execFile)(openssl, [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        keyPath,
        '-out',
        certPath,
        '-days',
        '3650',
        '-subj',
        '/CN=Vigie InfluxDB',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-addext',
        'basicConstraints=critical,CA:FALSE',
        '-addext',
        'extendedKeyUsage=serverAuth',
      ]);
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
        throw new InfluxdNotInstalledError(`${openssl} not found: install openssl, or run npm run setup`);
      }
      throw error;
    }
  }
  narrowIfExists(keyPath);
  narrowIfExists(certPath);
  return { cert: readFileSync(certPath, 'utf8'), certPath, keyPath };
}

function config(dir: string, httpPort: number, rpcPort: number, tls: { certPath: string; keyPath: string }): string {
  return `reporting-enabled = false
bind-address = "127.0.0.1:${rpcPort}"
[meta]
  dir = "${join(dir, 'meta')}"
  logging-enabled = false
[data]
  dir = "${join(dir, 'data')}"
  wal-dir = "${join(dir, 'wal')}"
  query-log-enabled = false
  index-version = "tsi1"
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:${httpPort}"
  auth-enabled = true
  https-enabled = true
  https-certificate = "${tls.certPath}"
  https-private-key = "${tls.keyPath}"
  log-enabled = false
  pprof-enabled = false
[ifql]
  enabled = false
[continuous_queries]
  enabled = true
  log-enabled = false
  run-interval = "1s"
[logging]
  level = "warn"
`;
}
