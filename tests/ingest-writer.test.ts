/**
 * The ingest's writer against a real InfluxDB, its queries reached through a relay the test can stall:
 * a downsample query whose answer does not come (a long query, InfluxDB stopping in the middle of
 * answering one) holds up neither the readings' writes nor stop(). Once, the fleet benchmark's ingest
 * wrote nothing more for good after InfluxDB restarted: its writer waited on such a query.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startTestInflux, type TestInflux } from './support/influx.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';
import { eventually } from './support/mqtt.ts';
import { createInflux, createLineWriter } from '../ingest/influx-client.ts';
import { DurableQueue } from '../ingest/queue.ts';
import { BatchWriter } from '../ingest/writer.ts';
import { createIngestMetrics } from '../ingest/metrics.ts';
import { createLogger } from '../common/log.ts';

let influx: TestInflux;
beforeAll(async () => {
  influx = await startTestInflux();
}, 120_000);
afterAll(async () => {
  await influx?.remove();
});

/** Readings of one device, one a second from `fromMs`, as the queue keeps them. */
const lines = (device: string, fromMs: number, count: number, hr: number) =>
  Array.from(
    { length: count },
    (_, i) => `vitals,device=${device},patient=p-${device} hr=${hr},seq=${i}i ${(fromMs + i * 1000) * 1e6}`,
  );

it('writes readings while a downsample query gets no answer, and stops without waiting for it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-writer-'));
  const proxy = await startTcpProxy(influx.port);
  const queue = new DurableQueue(join(dir, 'queue.db'), 100_000);
  const writes = createLineWriter(influx.url, influx.access);
  const writer = new BatchWriter({
    queue,
    influx: createInflux(influx.url.replace(`:${influx.port}`, `:${proxy.port}`), influx.access),
    lines: writes,
    batchSize: 100,
    maxDelayMs: 20,
    logger: createLogger('ingest', process.env.TEST_LOG_LEVEL ?? 'silent'),
    metrics: createIngestMetrics(),
  });
  try {
    const now = Date.now();
    queue.append(lines('w1', now - 60_000, 50, 70));
    writer.start();
    await eventually(async () => expect(await influx.count('vitals', 'w1')).toBe(50), 30_000);

    // Those readings to fold into the downsamples again (as after a failed minute write); InfluxDB
    // then answers no query.
    proxy.stall(true);
    proxy.cut(); // the connections open so far are gone: every query opens a stalled one
    proxy.restore();
    const late = { device: 'w1', fromMs: now - 60_000, toMs: now - 11_000 };
    queue.addLate([late]);

    // The writer asks for the downsample (on a drained queue), and goes on writing meanwhile.
    for (let k = 0; k < 5; k += 1) {
      queue.append(lines('w3', now - 50_000 + k * 10_000, 10, 90));
      writer.notify();
      await eventually(async () => expect(await influx.count('vitals', 'w3')).toBe(10 * (k + 1)));
    }
    expect(queue.lateRanges()).toContainEqual(late);

    // stop() does not wait for the answer; the range stays on disk for the next run.
    await writer.stop();
    expect(queue.lateRanges()).toContainEqual(late);
  } finally {
    queue.close();
    writes.close();
    await proxy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
