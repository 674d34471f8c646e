/**
 * The project's own influxd launcher (common/influxd.ts), which tests, the demo and the benchmarks
 * use: https with a certificate made for it, authentication on with credentials generated once and
 * kept 0600, no profiling endpoint; and a server that died by a signal starts again.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { getPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INFLUXD_NICENESS, startInfluxd, type Influxd } from '../common/influxd.ts';
import { createInflux } from '../ingest/influx-client.ts';

let influxd: Influxd | undefined;
let dir: string | undefined;
afterEach(async () => {
  await influxd?.stop();
  influxd = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function start(): Promise<Influxd> {
  dir ??= mkdtempSync(join(tmpdir(), 'vigie-influxd-'));
  influxd = await startInfluxd({ dir });
  return influxd;
}
const ping = async (server: Influxd) =>
  (await server.request('/ping', { credentials: false }).catch(() => undefined))?.status;
const showDatabases = (server: Influxd, credentials: boolean) =>
  server.request(`/query?q=${encodeURIComponent('SHOW DATABASES')}`, { credentials });
const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);

describe('influxd launcher', () => {
  it('starts again a server that was killed (SIGKILL leaves no exit code)', async () => {
    const server = await start();
    expect(await ping(server)).toBe(204);
    const pid = server.pid!;
    process.kill(pid, 'SIGKILL');
    // Gone once reaped: the launcher has then seen it exit.
    await expect.poll(() => alive(pid)).toBe(false);
    expect(await ping(server)).toBeUndefined();
    await server.start();
    expect(server.pid).not.toBe(pid);
    expect(await ping(server)).toBe(204);
    expect((await showDatabases(server, true)).status).toBe(200);
  });

  it('runs below the services on the alarm path, again after a restart (nice 10)', async () => {
    const server = await start();
    const niceness = (pid: number) => getPriority(pid) - getPriority();
    expect(niceness(server.pid!)).toBe(INFLUXD_NICENESS);
    await server.stop();
    await server.start();
    expect(niceness(server.pid!)).toBe(INFLUXD_NICENESS);
  });

  it('answers 401 to a query without credentials or with a wrong password, and serves the generated account', async () => {
    const server = await start();
    const anonymous = await showDatabases(server, false);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).not.toContain('databases');

    const wrong = createInflux(server.url, {
      username: server.access.username,
      password: 'guess',
      ca: server.access.ca,
    });
    await expect(wrong.getDatabaseNames()).rejects.toThrow(/authorization failed/);

    const client = createInflux(server.url, server.access);
    await client.createDatabase('vigie');
    expect(await client.getDatabaseNames()).toContain('vigie');
    // Credentials in the URL's userinfo still work.
    const { username, password, ca } = server.access;
    const fromUrl = createInflux(server.url.replace('https://', `https://${username}:${password}@`), { ca });
    expect(await fromUrl.getDatabaseNames()).toContain('vigie');
  });

  it('is trusted only with its own certificate', async () => {
    const server = await start();
    const { username, password } = server.access;
    await expect(createInflux(server.url, { username, password }).getDatabaseNames()).rejects.toThrow(
      /self[- ]signed/i,
    );
  });

  it('serves no profiling endpoint, even to its admin', async () => {
    const server = await start();
    for (const path of ['/debug/pprof/', '/debug/pprof/heap', '/debug/pprof/goroutine?debug=2']) {
      expect((await server.request(path)).status, path).toBe(404);
    }
  });

  it('keeps its credentials and certificate 0600 in a 0700 folder, and the same ones after a restart', async () => {
    const first = await start();
    const { access, files } = first;
    expect(mode(dir!)).toBe('700');
    for (const file of [files.ca, files.credentials, join(dir!, 'tls-key.pem'), join(dir!, 'influxdb.conf')]) {
      expect(mode(file), file).toBe('600');
    }
    expect(readFileSync(files.credentials, 'utf8')).toBe(
      `INFLUX_USERNAME=${access.username}\nINFLUX_PASSWORD=${access.password}\n`,
    );
    expect(access.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.env).toEqual({
      INFLUX_URL: first.url,
      INFLUX_USERNAME: access.username,
      INFLUX_PASSWORD: access.password,
      INFLUX_CA: files.ca,
    });
    await first.stop();

    const second = await start();
    expect(second.access).toEqual(access);
    expect((await showDatabases(second, true)).status).toBe(200);
  });
});
