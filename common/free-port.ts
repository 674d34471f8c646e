import { closeSync, mkdirSync, openSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A TCP port free on loopback right now, for a process started next to listen on.
 *
 * Not one the OS picks for `listen(0)`: that comes from the ephemeral range, where every outgoing
 * connection on the machine also takes its local port, so in the time between this check and the
 * listener's start a connection could take it (seen in the test suite: a service failed with
 * EADDRINUSE). The port is drawn below that range instead, checked by listening on it, and reserved
 * for RESERVED_MS by a file only one process can create, so that two callers (test files run in
 * parallel processes) are never handed the same one.
 */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const [low, high] = belowEphemeral();
  mkdirSync(RESERVATIONS, { recursive: true });
  for (let tries = 0; tries < 200; tries += 1) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (!reserve(port)) continue;
    if (await listensOn(port, host)) return port;
  }
  // Every draw taken (a very busy machine): the OS's choice, as before.
  return listenAny(host);
}

/** How long a port handed out stays reserved: the process it is for has started by then. */
const RESERVED_MS = 120_000;
const RESERVATIONS = join(tmpdir(), 'vigie-ports');

/** Reserves `port` (RESERVATIONS exists). */
function reserve(port: number): boolean {
  const path = join(RESERVATIONS, String(port));
  try {
    closeSync(openSync(path, 'wx'));
    return true;
  } catch {
    // Taken, unless the reservation is old enough to be over.
    try {
      if (Date.now() - statSync(path).mtimeMs < RESERVED_MS) return false;
      const now = new Date();
      utimesSync(path, now, now);
      return true;
    } catch {
      return false;
    }
  }
}

/** Ports below the OS's ephemeral range (Linux: /proc/sys/net/ipv4/ip_local_port_range). */
function belowEphemeral(): [number, number] {
  let first = 32_768;
  try {
    first = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || first;
  } catch {
    // not Linux: the IANA range starts at 49152; 32768 keeps clear of both
  }
  return [10_000, Math.max(10_001, Math.min(first, 49_152) - 1)];
}

function listensOn(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

function listenAny(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        address && typeof address !== 'string' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
