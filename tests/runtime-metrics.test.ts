import { afterEach, describe, expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Registry } from 'prom-client';
import { serveMetrics } from '../common/http-metrics.ts';
import { parseRuntime } from '../scripts/bench/lib/runtime-sampler.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('runtime metrics on /metrics', () => {
  let close: (() => void) | undefined;
  afterEach(() => close?.());

  const served = async () => {
    const { server, port } = await serveMetrics(new Registry(), '127.0.0.1', 0, () => true);
    close = () => server.close();
    return async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  };

  it('reports a stall of the event loop, then forgets it at the next scrape', async () => {
    const scrape = await served();
    const first = parseRuntime(await scrape(), 0)!;
    // Held for 200 ms from a timer due after the monitor's first tick (10 ms), which starts its clock.
    await new Promise<void>((r) =>
      setTimeout(() => {
        const until = performance.now() + 200;
        while (performance.now() < until);
        r();
      }, 30),
    );
    let longest = 0;
    await expect
      .poll(async () => (longest = Math.max(longest, parseRuntime(await scrape(), 0)!.loopMaxMs)))
      .toBeGreaterThanOrEqual(150);
    const calm = parseRuntime(await scrape(), 0)!;
    expect(calm.loopMaxMs).toBeLessThan(longest);
    // The main thread's own time on a core (Linux, where the tests run) went up by its busy wait.
    expect(calm.runningSeconds).toBeGreaterThan(first.runningSeconds);
  });

  it('counts every major collection and its pause, and the heap in use', async () => {
    const scrape = await served();
    const before = parseRuntime(await scrape(), 0)!;
    gc();
    gc();
    await expect
      .poll(async () => parseRuntime(await scrape(), 0)!.majorGcs - before.majorGcs)
      .toBeGreaterThanOrEqual(2);
    const after = parseRuntime(await scrape(), 0)!;
    expect(after.gcSeconds).toBeGreaterThan(before.gcSeconds);
    expect(after.heapUsedMiB).toBeGreaterThan(0);
  });

  it('reads nothing from a service that does not report them', () => {
    expect(parseRuntime('vigie_ingest_points_written_total 3\n', 0)).toBeUndefined();
  });
});
