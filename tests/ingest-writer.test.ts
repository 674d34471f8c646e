/**
 * The ingest's writer against a real InfluxDB, its queries reached through a relay the test can stall:
 * a downsample query whose answer does not come (a long query, InfluxDB stopping in the middle of
 * answering one) holds up neither the readings' writes nor stop(). Once, the fleet benchmark's ingest
 * wrote nothing more for good after InfluxDB restarted: its writer waited on such a query.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { startTestInflux, type TestInflux } from './support/influx.ts';
import { startTcpProxy } from './support/tcp-proxy.ts';
import { eventually } from './support/mqtt.ts';
import { createInflux, createLineWriter, type LineWriter } from '../ingest/influx-client.ts';
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

/**
 * A writer as the ingest makes one, with small batches: its queries to `influxDb` (the test's
 * InfluxDB by default), its clock `clock` (the system's by default).
 */
function testWriter(
  queue: DurableQueue,
  writes: LineWriter,
  o: {
    clock?: () => number;
    influxDb?: ReturnType<typeof createInflux>;
    metrics?: ReturnType<typeof createIngestMetrics>;
    downsampleGroup?: number;
  } = {},
): BatchWriter {
  return new BatchWriter({
    queue,
    influx: o.influxDb ?? createInflux(influx.url, influx.access),
    lines: writes,
    batchSize: 100,
    maxDelayMs: 20,
    logger: createLogger('ingest', process.env.TEST_LOG_LEVEL ?? 'silent'),
    metrics: o.metrics ?? createIngestMetrics(),
    clock: o.clock,
    downsampleGroup: o.downsampleGroup,
  });
}

it('writes readings while a downsample query gets no answer, and stops without waiting for it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-writer-'));
  const proxy = await startTcpProxy(influx.port);
  const queue = new DurableQueue(join(dir, 'queue.db'), 100_000);
  const writes = createLineWriter(influx.url, influx.access);
  const writer = testWriter(queue, writes, {
    influxDb: createInflux(influx.url.replace(`:${influx.port}`, `:${proxy.port}`), influx.access),
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

it('writes a backlog with four requests in flight; when all fail, sends them again in order and stores each point once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-writer-'));
  const proxy = await startTcpProxy(influx.port);
  const queue = new DurableQueue(join(dir, 'queue.db'), 100_000);
  const writes = createLineWriter(influx.url.replace(`:${influx.port}`, `:${proxy.port}`), influx.access);
  const metrics = createIngestMetrics();
  const writer = testWriter(queue, writes, { metrics });
  try {
    // InfluxDB takes the requests (of some 60 kB) and its answers never come back (TLS handshakes
    // do); a backlog of 40 batches.
    proxy.stall(true, 10_000);
    const from = Date.now() - 4_500_000;
    for (let k = 0; k < 40; k += 1) queue.append(lines('w4', from + k * 100_000, 100, 70).map(seqFrom(k * 100)));
    writer.start();
    // Four requests of eight batches each: all stored by InfluxDB, none answered, nothing removed.
    await eventually(async () => expect(await influx.count('vitals', 'w4')).toBe(3_200), 30_000);
    expect(proxy.opened).toBe(4);
    expect(queue.size).toBe(4_000);

    // All fail (their connections reset): the writer sends everything again, from the oldest.
    proxy.stall(false);
    proxy.cut();
    proxy.restore();
    await eventually(() => expect(queue.size).toBe(0), 30_000);
    expect(await influx.count('vitals', 'w4')).toBe(4_000);
    const seqs = await influx.rows(`SELECT seq FROM vitals WHERE device = 'w4' ORDER BY time`);
    expect(seqs.map((r) => r.seq)).toEqual(Array.from({ length: 4_000 }, (_, i) => i));
    expect((await metrics.writeFailures.get()).values[0]?.value).toBeGreaterThanOrEqual(1);
  } finally {
    await tearDown(writer, queue, writes, proxy, dir);
  }
});

async function tearDown(
  writer: BatchWriter,
  queue: DurableQueue,
  writes: ReturnType<typeof createLineWriter>,
  proxy: Awaited<ReturnType<typeof startTcpProxy>>,
  dir: string,
): Promise<void> {
  await writer.stop();
  queue.close();
  writes.close();
  await proxy.close();
  rmSync(dir, { recursive: true, force: true });
}

/** A line's seq moved up by `offset` (lines() numbers each call's readings from 0). */
const seqFrom = (offset: number) => (line: string) =>
  line.replace(/seq=(\d+)i/, (_, n: string) => `seq=${Number(n) + offset}i`);

it("rolls up a new queue's first minutes from memory; after a restart, leaves a minute partly stored before to the raw readings", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-writer-'));
  const proxy = await startTcpProxy(influx.port);
  const queue = new DurableQueue(join(dir, 'queue.db'), 100_000);
  const writes = createLineWriter(influx.url, influx.access);
  const writerOn = (url: string) => testWriter(queue, writes, { influxDb: createInflux(url, influx.access) });
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
  const minutesOf = async () =>
    (await influx.rows(`SELECT samples FROM "rp_1m"."vitals" WHERE "device" = 'w5' ORDER BY time`)).map((r) => ({
      at: Date.parse(String(r.time)) - minute,
      samples: r.samples,
    }));
  /** The 1-minute downsamples of w5 come to be: its first minute's, then its second's. */
  const minutesBecome = (first: number, second: number) =>
    eventually(
      async () =>
        expect(await minutesOf()).toEqual([
          { at: 0, samples: first },
          { at: 60_000, samples: second },
        ]),
      30_000,
    );
  // The first writer's queries (by-hand downsamples) go through the proxy, which soon answers none:
  // only the minutes it rolls up in memory reach the 1-minute retention policy.
  let writer = writerOn(influx.url.replace(`:${influx.port}`, `:${proxy.port}`));
  try {
    // The writer makes the database (a query), then the proxy answers no more queries.
    queue.append(lines('w0', minute - 120_000, 1, 70));
    writer.start();
    await eventually(async () => expect(await influx.count('vitals', 'w0')).toBe(1), 30_000);
    proxy.stall(true);
    proxy.cut();
    proxy.restore();

    // A new queue: w5's first minute (10 readings) is written once its next minute begins, and that
    // one (6 readings, 10 minutes ago) once the device is quiet. Neither is left to a query.
    queue.append(lines('w5', minute + 50_000, 16, 70));
    writer.notify();
    await minutesBecome(10, 6);
    expect(queue.lateRanges()).toEqual([]);
    expect(queue.storedUntil()).toBe(minute + 65_000);

    // A new writer on the same queue (its queries answered) hears the rest of the second minute:
    // partly stored before its start, it is downsampled again from the raw readings, all 16 of them
    // (rolled up in memory, it would have been written over with the last 10).
    await writer.stop();
    writer = writerOn(influx.url);
    queue.append(lines('w5', minute + 66_000, 10, 70).map(seqFrom(16)));
    writer.start();
    await minutesBecome(10, 16);
    await eventually(() => expect(queue.lateRanges()).toEqual([])); // once the hourly one is redone too
    expect(await influx.count('vitals', 'w5')).toBe(26);
  } finally {
    await tearDown(writer, queue, writes, proxy, dir);
  }
});

/**
 * A new queue and a minute `minutesAgo` minutes ago, cut in two by a stop: its first 20 readings
 * (hr 60), then 30 more (hr 90). Each test takes its own minute, apart from the others'.
 */
function cutMinute(minutesAgo: number) {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-writer-'));
  const path = join(dir, 'queue.db');
  const minute = Math.floor(Date.now() / 60_000) * 60_000 - minutesAgo * 60_000;
  return {
    dir,
    path,
    queue: new DurableQueue(path, 100_000),
    writes: createLineWriter(influx.url, influx.access),
    minute,
    /** The writers' clock, to begin with: in the middle of the minute, which stays open. */
    middle: minute + 35_000,
    first: (device: string) => lines(device, minute, 20, 60),
    rest: (device: string) => lines(device, minute + 20_000, 30, 90).map(seqFrom(20)),
  };
}

/** The 1-minute downsample of the first part of a cut minute, and of the whole minute. */
const FIRST_PART = { at: 0, samples: 20, hr: 60, min: 60, max: 60 };
const WHOLE_MINUTE = { at: 0, samples: 50, hr: 78, min: 60, max: 90 };

/** Appends readings and has `writer` (started, if it is not yet) write them; resolves once they are. */
async function writeWith(writer: BatchWriter, queue: DurableQueue, readings: string[]): Promise<void> {
  queue.append(readings);
  writer.start();
  writer.notify();
  await eventually(() => expect(queue.size).toBe(0), 30_000);
}

/** The 1-minute downsamples of a device: time from `minute`, readings, and their hr. */
const minutesOfDevice = async (device: string, minute: number) =>
  (
    await influx.rows(
      `SELECT samples, hr, hr_min, hr_max FROM "rp_1m"."vitals" WHERE "device" = '${device}' ORDER BY time`,
    )
  ).map((r) => ({
    at: Date.parse(String(r.time)) - minute,
    samples: r.samples,
    hr: r.hr,
    min: r.hr_min,
    max: r.hr_max,
  }));

it('keeps a minute open at a clean stop in the queue: after a restart, the rest of its readings complete it, with no downsample from the raw readings', async () => {
  const { dir, queue, writes, minute, middle, first, rest } = cutMinute(14);
  let now = middle;
  let writer = testWriter(queue, writes, { clock: () => now });
  try {
    // A clean stop in the middle of w6's minute: the minute is written as it is (to be seen).
    await writeWith(writer, queue, first('w6'));
    await writer.stop();
    expect(await minutesOfDevice('w6', minute)).toEqual([FIRST_PART]);
    expect(queue.rollupMark()).toBeNull();

    // The next run takes the minute back. The rest of its readings come once the minute is old enough
    // to close (the device quiet for 2 minutes past its end): the writer adds them to it and writes it.
    const influxDb = createInflux(influx.url, influx.access);
    const queries = vi.spyOn(influxDb, 'query');
    const metrics = createIngestMetrics();
    writer = testWriter(queue, writes, { clock: () => now, influxDb, metrics });
    writer.start();
    expect(queue.rollupMark()).toBe(minute); // should this run crash, the minute is redone from the raw readings
    now = minute + 3 * 60_000;
    queue.append(rest('w6'));
    writer.notify();
    // Once the batch is counted, the writer has written the minute and asked for any by-hand downsample.
    await eventually(async () => expect((await metrics.pointsWritten.get()).values[0]?.value).toBe(30), 30_000);
    expect(await minutesOfDevice('w6', minute)).toEqual([WHOLE_MINUTE]);
    expect(queue.lateRanges()).toEqual([]);
    expect(queries.mock.calls.map(([q]) => String(q)).filter((q) => q.includes(' INTO '))).toEqual([]);
    expect(queue.rollupMark()).toBeNull();
  } finally {
    await writer.stop();
    queue.close();
    writes.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('after a clean stop, a restart that ends without a stop: the next start redoes the minute taken back from the raw readings', async () => {
  const { dir, path, queue, writes, minute, middle: now, first, rest } = cutMinute(18);
  const restarted = testWriter(queue, writes, { clock: () => now });
  let after: DurableQueue | undefined;
  let last: BatchWriter | undefined;
  try {
    const before = testWriter(queue, writes, { clock: () => now });
    await writeWith(before, queue, first('w7'));
    await before.stop();

    // The next run takes the minute back, adds the rest of its readings to it in memory, and crashes
    // before it writes it: it is left idle, and another run opens the same file.
    restarted.start();
    expect(queue.rollupMark()).toBe(minute); // set as the minute is taken back, before any batch
    await writeWith(restarted, queue, rest('w7'));
    expect(await minutesOfDevice('w7', minute)).toEqual([FIRST_PART]);

    after = new DurableQueue(path, 100_000);
    last = testWriter(after, writes, { clock: () => now });
    last.start();
    expect(after.lateRanges()).toEqual([{ device: '*', fromMs: minute, toMs: now }]);
    // A reading of a later minute gets the writer going; the minute is downsampled from the raw readings.
    after.append(lines('w7', minute + 2 * 60_000, 1, 70).map(seqFrom(50)));
    last.notify();
    await eventually(async () => expect(await minutesOfDevice('w7', minute)).toEqual([WHOLE_MINUTE]), 30_000);
    await eventually(() => expect(after?.lateRanges()).toEqual([]), 30_000);
  } finally {
    await last?.stop();
    await restarted.stop();
    after?.close();
    queue.close();
    writes.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it('keeps nothing at a stop that cannot write the open minutes: the next start redoes them from the raw readings', async () => {
  const { dir, queue, writes, minute, middle: now, first, rest } = cutMinute(22);
  let refuseMinutes = false;
  const refusing: LineWriter = {
    write: (body, options) =>
      refuseMinutes && options.retentionPolicy === 'rp_1m'
        ? Promise.reject(new Error('InfluxDB went away'))
        : writes.write(body, options),
    close: () => writes.close(),
  };
  let writer = testWriter(queue, refusing, { clock: () => now });
  try {
    await writeWith(writer, queue, first('w8'));
    refuseMinutes = true;
    await writer.stop();
    expect(queue.rollupMark()).toBe(minute);
    expect(queue.takeOpenMinutes()).toEqual({ minutes: [], unreadable: 0 });

    refuseMinutes = false;
    writer = testWriter(queue, refusing, { clock: () => now });
    writer.start();
    expect(queue.lateRanges()).toContainEqual({ device: '*', fromMs: minute, toMs: now });
    await writeWith(writer, queue, rest('w8'));
    await eventually(async () => expect(await minutesOfDevice('w8', minute)).toEqual([WHOLE_MINUTE]), 30_000);
    await eventually(() => expect(queue.lateRanges()).toEqual([]), 30_000);
  } finally {
    await writer.stop();
    queue.close();
    writes.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

it("after a crash, downsamples every device's open minute from the raw readings by groups: a group done is kept when a later one fails, and the rest is tried again a minute later", async () => {
  const { dir, path, queue, writes, minute, middle, first } = cutMinute(30);
  let now = middle;
  const watches = ['g1', 'g2', 'g3', 'g4', 'g5'];
  const before = testWriter(queue, writes, { clock: () => now });
  const influxDb = createInflux(influx.url, influx.access);
  const query = influxDb.query.bind(influxDb);
  let refuseG3 = true;
  // InfluxDB's answers, but for a downsample of g3's group while refuseG3 holds (a missed deadline).
  const queries = vi
    .spyOn(influxDb, 'query')
    .mockImplementation((q, options) =>
      refuseG3 && String(q).includes(`"device" = 'g3'`)
        ? Promise.reject(new Error('InfluxDB did not finish a downsample within 300 s'))
        : query(q, options),
    );
  const metrics = createIngestMetrics();
  let after: DurableQueue | undefined;
  let last: BatchWriter | undefined;
  const written = async () => (await metrics.pointsWritten.get()).values[0]?.value ?? 0;
  const downsamplesOf = (device: string) =>
    queries.mock.calls.map(([q]) => String(q)).filter((q) => q.includes(' INTO ') && q.includes(`'${device}'`));
  try {
    // Five watches' first 20 readings of the minute are stored; the minute is open in memory, and the
    // run ends without a stop. The next run redoes every device's minute from the raw readings.
    await writeWith(before, queue, watches.flatMap(first));
    // The next run opens the queue's files as the last one left them.
    const next = (after = new DurableQueue(path, 100_000));
    last = testWriter(next, writes, { clock: () => now, influxDb, metrics, downsampleGroup: 2 });
    last.start();
    expect(next.lateRanges()).toEqual([{ device: '*', fromMs: minute, toMs: now }]);

    // A reading of a later minute gets the writer going. Every device InfluxDB knows gets a range of
    // its own, in groups of two (in the order InfluxDB lists them): g1 and g2's is done, g3's fails.
    next.append(lines('g1', minute + 2 * 60_000, 1, 70).map(seqFrom(20)));
    last.notify();
    await eventually(async () => expect((await metrics.downsampleFailures.get()).values[0]?.value).toBe(1), 30_000);
    const left = next.lateRanges().map((r) => r.device);
    expect(left).toEqual(expect.arrayContaining(['g3', 'g4', 'g5']));
    for (const kept of ['*', 'g1', 'g2']) expect(left).not.toContain(kept);
    expect(await minutesOfDevice('g1', minute)).toEqual([FIRST_PART]);
    expect(await minutesOfDevice('g2', minute)).toEqual([FIRST_PART]);
    expect(await minutesOfDevice('g3', minute)).toEqual([]);

    // InfluxDB answers again, but it has just failed a downsample: the next batch does not start
    // another pass (it would start, and ask for g3's group, as the batch is taken in).
    refuseG3 = false;
    const writtenBefore = await written();
    next.append(lines('g2', minute + 2 * 60_000, 1, 70).map(seqFrom(20)));
    last.notify();
    await eventually(async () => expect(await written()).toBeGreaterThan(writtenBefore), 30_000);
    expect(downsamplesOf('g3')).toHaveLength(1);
    expect(next.lateRanges().map((r) => r.device)).toContain('g3');

    // A minute later, the next batch's pass does the rest, and not g1 and g2's group again.
    now += 60_000;
    next.append(lines('g2', minute + 2 * 60_000 + 1_000, 1, 70).map(seqFrom(21)));
    last.notify();
    await eventually(() => expect(next.lateRanges()).toEqual([]), 30_000);
    for (const watch of watches) expect(await minutesOfDevice(watch, minute)).toEqual([FIRST_PART]);
    expect(downsamplesOf('g1')).toHaveLength(2); // the minutes, then the hour
    expect(downsamplesOf('g3')).toHaveLength(3); // the minutes refused, then the minutes and the hour
  } finally {
    await last?.stop();
    await before.stop();
    after?.close();
    queue.close();
    writes.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
