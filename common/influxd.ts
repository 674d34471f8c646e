/**
 * A project-managed InfluxDB 1.x server (`influxd` from Debian's influxdb package): its own config,
 * data under a folder we choose, loopback ports. Used by the demo and by the tests.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { freePort } from './free-port.ts';

export interface InfluxdOptions {
  /** Folder for meta, data, wal and the generated config. */
  readonly dir: string;
  readonly httpPort?: number;
  readonly binary?: string;
}

export interface Influxd {
  readonly url: string;
  readonly port: number;
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM, then SIGKILL after 10 s). Idempotent. */
  stop(): Promise<void>;
  /** Starts it again on the same data and port. */
  start(): Promise<void>;
}

export class InfluxdNotInstalledError extends Error {
  override readonly name = 'InfluxdNotInstalledError';
}

export async function startInfluxd(options: InfluxdOptions): Promise<Influxd> {
  const binary = options.binary ?? process.env.INFLUXD_BIN ?? '/usr/bin/influxd';
  if (!existsSync(binary)) {
    throw new InfluxdNotInstalledError(
      `${binary} not found: install InfluxDB 1.x (Debian: apt-get install influxdb influxdb-client), or run npm run setup`,
    );
  }
  const port = options.httpPort ?? (await freePort());
  const rpcPort = await freePort();
  mkdirSync(options.dir, { recursive: true });
  const configPath = join(options.dir, 'influxdb.conf');
  writeFileSync(configPath, config(options.dir, port, rpcPort));
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let stderr = '';

  const start = async () => {
    // Still running? One stopped by a signal (SIGKILL after a slow shutdown) has exitCode null too.
    if (child && child.exitCode === null && child.signalCode === null) return;
    stderr = '';
    child = spawn(binary, ['-config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    const exited = once(child, 'exit').then(([code]) => {
      throw new Error(
        `influxd exited with ${String(code)} before answering: ${stderr.trim().split('\n').slice(-3).join(' | ')}`,
      );
    });
    await Promise.race([waitForPing(url, 30_000), exited]);
  };
  const stop = async () => {
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
    stop,
    start,
  };
}

async function waitForPing(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${url}/ping`);
      if (res.status === 204) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`influxd did not answer ${url}/ping within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function config(dir: string, httpPort: number, rpcPort: number): string {
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
