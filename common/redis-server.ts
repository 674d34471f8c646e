/**
 * A project-managed Redis server (`redis-server` from Debian's package) on a free loopback port, data
 * under a folder we choose (append-only file, fsync'd every second): the shared state of a broker
 * cluster, for the scale-out benchmark and its test.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { freePort } from './free-port.ts';
import { privateDir } from './private-files.ts';

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startRedisServer(
  dir: string,
  binary = process.env.REDIS_SERVER_BIN ?? '/usr/bin/redis-server',
): Promise<RedisServer> {
  if (!existsSync(binary)) throw new Error(`${binary} not found: run npm run setup (Debian package redis-server)`);
  const port = await freePort();
  privateDir(dir); // its append-only file holds queued messages, readings among them
  const child = spawn(
    binary,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let tail = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server not ready in 30 s: ${tail}`)), 30_000);
    createInterface({ input: child.stdout }).on('line', (line) => {
      tail = (tail + line + '\n').slice(-2000);
      if (line.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited (${code}): ${tail}`));
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
