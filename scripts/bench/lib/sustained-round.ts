/**
 * One sustained round of the ingest benchmarks (scripts/bench/ingest.ts, least-path.ts): the
 * watches publish batches through the path's broker as fast as they are acknowledged, and the round
 * is measured once the path's queue is nearly full, where readings are taken in only as fast as
 * InfluxDB takes them. While the queue fills, taking in runs ahead of writing and takes most of the
 * CPU: on 2026-11-29, 10 s rounds that started 3 s after the load measured 146,000 points/s taken
 * in and 75,000 written, the queue growing 50,000 points a second. Then the load stops and the
 * queue drains, before the next measure.
 */
import { batchPayload, ClosedLoop, connectAll, type Credentials } from './load.ts';
import { UsageSampler } from './processes.ts';

/** The path's queue (the ingest's INGEST_BUFFER_MAX_POINTS, its default). */
export const QUEUE_POINTS = 1_000_000;
/** The longest wait for the queue to fill before a round is measured anyway (and says so). */
const FILL_DEADLINE_MS = 90_000;
/** The longest wait for the queue to drain after a round. */
const DRAIN_DEADLINE_MS = 120_000;

/** The path's counts so far: points written to InfluxDB, taken in, and in its queue now. */
export interface PathCounts {
  readonly written: number;
  readonly taken: number;
  readonly queued: number;
}

export interface SustainedRound {
  readonly pointsPerSec: number;
  readonly takenInPerSec: number;
  /** Seconds until the queue was 90 % full. */
  readonly fillSeconds: number;
  /** Mean CPU of `pids` and of this process (`bench`), % of one core. */
  readonly cpu: Record<string, number>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function sustainedRound(o: {
  /** The path's broker on the loopback. */
  readonly port: number;
  readonly watches: readonly Credentials[];
  /** The round's first upload number: distinct per round, so that no reading is a duplicate. */
  readonly firstUpload: number;
  readonly samplesPerMessage: number;
  readonly seconds: number;
  /** The processes whose CPU is sampled. */
  readonly pids: Record<string, number>;
  readonly counts: () => Promise<PathCounts> | PathCounts;
}): Promise<SustainedRound> {
  const { connections, ramp } = await connectAll({ host: '127.0.0.1', port: o.port }, o.watches, {
    rate: 2000,
    concurrency: 20,
    deadlineMs: 60_000,
  });
  if (connections.length < o.watches.length)
    throw new Error(
      `${connections.length} of ${o.watches.length} publishers connected: ${JSON.stringify(ramp.failures)}`,
    );
  let n = o.firstUpload;
  const load = new ClosedLoop(connections, o.watches, 4, () => batchPayload((n += 1), o.samplesPerMessage));
  const fillStart = Date.now();
  while (Date.now() - fillStart < FILL_DEADLINE_MS && (await o.counts()).queued < 0.9 * QUEUE_POINTS) await sleep(500);
  const fillSeconds = Math.round((Date.now() - fillStart) / 100) / 10;
  await sleep(2000);
  const sampler = new UsageSampler(o.pids, 1000);
  const before = await o.counts();
  const t0 = Date.now();
  await sleep(o.seconds * 1000);
  const after = await o.counts();
  const secs = (Date.now() - t0) / 1000;
  const usage = sampler.stop();
  load.stop();
  for (const c of connections) c.end();
  const drainStart = Date.now();
  while (Date.now() - drainStart < DRAIN_DEADLINE_MS && (await o.counts()).queued > 0) await sleep(1000);
  return {
    pointsPerSec: Math.round((after.written - before.written) / secs),
    takenInPerSec: Math.round((after.taken - before.taken) / secs),
    fillSeconds,
    cpu: Object.fromEntries(Object.entries(usage).map(([k, u]) => [k, u.cpuMeanPercent])),
  };
}
