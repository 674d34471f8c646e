/**
 * Drains the durable queue into InfluxDB in batches bounded by size and by time, oldest first.
 * A transient failure (InfluxDB down or slow) retries the same batch with backoff, so order is kept
 * and nothing is skipped; a point InfluxDB refuses for good is isolated by bisection and moved to the
 * dead letters with the reason.
 */
import type { InfluxDB, IPoint } from 'influx';
import type { Logger } from '../common/log.ts';
import { rateLimitedWarn } from '../common/log.ts';
import type { DurableQueue, QueuedPoint } from './queue.ts';
import { ensureDatabase } from './database.ts';
import { DATABASE, RETENTION, downsampleQueries } from './schema.ts';
import type { IngestMetrics } from './metrics.ts';

export interface WriterOptions {
  readonly queue: DurableQueue;
  readonly influx: InfluxDB;
  readonly batchSize: number;
  readonly maxDelayMs: number;
  readonly logger: Logger;
  readonly metrics: IngestMetrics;
  readonly clock?: () => number;
  /** Backfilled points older than this are downsampled by hand (the continuous queries' window). */
  readonly resampleWindowMs?: number;
}

const MAX_BACKOFF_MS = 5_000;
const MAX_IN_FLIGHT = 2;

export class BatchWriter {
  readonly #o: WriterOptions;
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #databaseReady = false;

  constructor(options: WriterOptions) {
    this.#o = options;
    this.#warn = rateLimitedWarn(options.logger, 10_000);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Tells the writer that points were appended. */
  notify(): void {
    this.#wake?.();
  }

  /** Stops after the batches in flight; what remains stays queued on disk. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  /**
   * Up to two batches are in flight: InfluxDB stores one while the next is read from the queue and
   * turned into line protocol here. One at a time, each side waited for the other and influxd stayed
   * at ~30 % of a core while the queue grew (npm run bench -- --parts ingest). Batches are removed from
   * the queue oldest first, each once it and every batch before it are written; after a failure every
   * batch still queued is written again (InfluxDB stores a point written twice once: schema.pointTime).
   */
  async #run(): Promise<void> {
    let failures = 0;
    const inFlight: Array<{ batch: QueuedPoint[]; started: number; result: Promise<unknown> }> = [];
    const { queue, batchSize, maxDelayMs } = this.#o;
    const waiting = () => queue.size - inFlight.reduce((n, f) => n + f.batch.length, 0);
    while (this.#running || inFlight.length > 0) {
      if (this.#running && inFlight.length === 0) {
        if (queue.size === 0) await this.#sleep(60_000, () => queue.size > 0);
        if (queue.size > 0 && queue.size < batchSize) await this.#sleep(maxDelayMs, () => queue.size >= batchSize);
        if (!this.#running) break;
        if (queue.size === 0) continue;
      }
      if (this.#running && inFlight.length < MAX_IN_FLIGHT && (inFlight.length === 0 || waiting() >= batchSize)) {
        const batch = queue.peek(batchSize, inFlight.at(-1)?.batch.at(-1)?.id ?? 0);
        if (batch.length > 0) {
          inFlight.push({
            batch,
            started: performance.now(),
            result: this.#send(batch).then(
              () => undefined,
              (e: unknown) => e ?? 'failed',
            ),
          });
          continue;
        }
      }
      const oldest = inFlight.shift();
      if (!oldest) continue;
      const error = await oldest.result;
      if (error === undefined) {
        queue.remove(oldest.batch);
        this.#o.metrics.pointsWritten.inc(oldest.batch.length);
        this.#o.metrics.batchSeconds.observe((performance.now() - oldest.started) / 1000);
        this.#o.metrics.queueDepth.set(queue.size);
        if (failures > 0) this.#o.logger.info({ failures, queued: queue.size }, 'InfluxDB writes resumed');
        failures = 0;
        await this.#downsampleBackfill(oldest.batch);
        continue;
      }
      // The batches behind it stay queued too: let them finish, then start again from the oldest.
      await Promise.all(inFlight.splice(0).map((f) => f.result));
      failures += 1;
      this.#o.metrics.writeFailures.inc();
      this.#warn(
        'write-failed',
        { error: errorMessage(error), queued: queue.size, failures },
        'InfluxDB write failed; the batch stays queued and will be retried',
      );
      if (this.#running)
        await this.#sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 6)), () => !this.#running);
    }
  }

  async #send(batch: readonly QueuedPoint[]): Promise<void> {
    if (!this.#databaseReady) {
      await ensureDatabase(this.#o.influx);
      this.#databaseReady = true;
    }
    await this.#write(batch);
  }

  /** Writes a batch; a 4xx (other than 429) means some point is refused for good: bisect to find it. */
  async #write(items: readonly QueuedPoint[]): Promise<void> {
    try {
      await this.#o.influx.writePoints(
        items.map((i) => i.point),
        { database: DATABASE, retentionPolicy: RETENTION.raw.name, precision: 'n' },
      );
    } catch (error) {
      const status = statusOf(error);
      if (status === undefined || status === 429 || status < 400 || status >= 500) throw error;
      if (items.length === 1) {
        const [item] = items as [QueuedPoint];
        if (!this.#o.queue.deadLetter(item, errorMessage(error), (this.#o.clock ?? Date.now)())) return; // already there (batch retried)
        this.#o.metrics.deadLettered.inc();
        this.#o.logger.error(
          { measurement: item.point.measurement, device: item.point.tags?.device, reason: errorMessage(error) },
          'point refused by InfluxDB, moved to dead letters',
        );
        return;
      }
      const mid = Math.ceil(items.length / 2);
      await this.#write(items.slice(0, mid));
      await this.#write(items.slice(mid));
    }
  }

  /** Backfilled readings older than the continuous queries look back: fold them into the downsamples now. */
  async #downsampleBackfill(batch: readonly QueuedPoint[]): Promise<void> {
    const horizon = (this.#o.clock ?? Date.now)() - (this.#o.resampleWindowMs ?? 2 * 3_600_000);
    const ranges = new Map<string, { from: number; to: number }>();
    for (const { point } of batch) {
      const device = point.tags?.device;
      if (point.measurement !== 'vitals' || point.fields?.backfill !== true || !device) continue;
      const ms = timestampMs(point);
      const r = ranges.get(device);
      ranges.set(device, r ? { from: Math.min(r.from, ms), to: Math.max(r.to, ms) } : { from: ms, to: ms });
    }
    for (const [device, { from, to }] of ranges) {
      // Within the continuous queries' window they fold it in themselves. Past it, the whole range is
      // redone here, so the hourly roll-up does not race the minute query for the recent part.
      if (from >= horizon) continue;
      try {
        for (const q of downsampleQueries(device, from, to)) await this.#o.influx.query(q, { database: DATABASE });
      } catch (error) {
        this.#warn(
          'downsample-failed',
          { device, error: errorMessage(error) },
          'downsampling a backfill failed; raw data is stored',
        );
      }
    }
  }

  #sleep(ms: number, until: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => (until() || !this.#running ? done() : undefined);
    });
  }
}

function timestampMs(point: IPoint): number {
  return typeof point.timestamp === 'string' ? Number(BigInt(point.timestamp) / 1_000_000n) : 0;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null || !('res' in error)) return undefined;
  const { res } = error;
  return typeof res === 'object' && res !== null && 'statusCode' in res && typeof res.statusCode === 'number'
    ? res.statusCode
    : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
