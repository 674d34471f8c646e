/**
 * The project's own influxd launcher (common/influxd.ts), which tests, the demo and the benchmarks
 * use to stop and start InfluxDB: a server that died by a signal starts again.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startInfluxd, type Influxd } from '../common/influxd.ts';

let influxd: Influxd | undefined;
let dir: string | undefined;
afterEach(async () => {
  await influxd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ping = async (url: string) => (await fetch(`${url}/ping`).catch(() => undefined))?.status;

describe('influxd launcher', () => {
  it('starts again a server that was killed (SIGKILL leaves no exit code)', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigie-influxd-'));
    influxd = await startInfluxd({ dir });
    expect(await ping(influxd.url)).toBe(204);
    const pid = influxd.pid!;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 100 && (await ping(influxd.url)) === 204; i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(await ping(influxd.url)).toBeUndefined();
    await influxd.start();
    expect(influxd.pid).not.toBe(pid);
    expect(await ping(influxd.url)).toBe(204);
  });
});
