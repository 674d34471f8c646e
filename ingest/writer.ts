/**
 * Drains the durable queue into InfluxDB in batches bounded by size and by time, oldest first.
 * A transient failure (InfluxDB down or slow) retries the same batch with backoff, so order is kept
 * and nothing is skipped; a point InfluxDB refuses for good is isolated by bisection and moved to the
 * dead letters with the reason.
 */
import type { InfluxDB, IPoint } from 'influx';
import type { Logger } from '../common/log.ts';
import { rateLimitedWarn } from '../common/log.ts';
import { EVERY_DEVICE, type DurableQueue, type LateRange, type QueuedRow } from './queue.ts';
import { InfluxWriteError, type LineWriter } from './influx-client.ts';
import { pointLine, readingsOf } from './line-protocol.ts';
import { ensureDatabase } from './database.ts';
import { DATABASE, DEVICES_QUERY, RETENTION, downsampleQueries } from './schema.ts';
import { MinuteRollup, partialsOf, timestampMs } from './minute-rollup.ts';
import type { IngestMetrics } from './metrics.ts';

export interface WriterOptions {
  readonly queue: DurableQueue;
  /** For the database, its retention policies and the by-hand downsamples. */
  readonly influx: InfluxDB;
  /** For the points: the queue's lines, as they are. */
  readonly lines: LineWriter;
  readonly batchSize: number;
  readonly maxDelayMs: number;
  readonly logger: Logger;
  readonly metrics: IngestMetrics;
  readonly clock?: () => number;
  /** The most devices in one by-hand downsample query (DOWNSAMPLE_GROUP). */
  readonly downsampleGroup?: number;
}

const MAX_BACKOFF_MS = 5_000;
/** The most batches sent in one request while the queue is behind. */
export const CATCH_UP_BATCHES = 8;
/**
 * Requests to InfluxDB at once while the queue is behind: influxd works on some while others travel,
 * and while the ingest handles the answer of the first. With one, the ingest benchmark's sustained
 * rounds wrote 47,900 and 49,700 points/s; with two, 57,000, 54,600 and 50,900 (2026-11-29, 23:00, a
 * machine where raw writes reached 61,000 to 113,000). On a faster machine (2026-12-01), with two:
 * 99,700, 98,700 and 103,300, influxd at 58 to 60 % of a core; with four: 102,100, 106,900, 108,500
 * and 102,800, 102,300, 108,200, influxd at 60 to 70 %.
 */
export const REQUESTS_IN_FLIGHT = 4;
const NEWLINE = Buffer.from('\n');

/** A write to InfluxDB of some of the queue's rows, in flight. */
interface Request {
  readonly batch: QueuedRow[];
  readonly body: Buffer;
  /** The lines InfluxDB refused for good (moved to the dead letters). */
  readonly refused: Set<string>;
  readonly points: number;
  /** Its last row: the next request starts after it. */
  readonly lastId: number;
  readonly started: number;
  readonly outcome: Promise<{ readonly ok: true } | { readonly ok: false; readonly error: unknown }>;
}
/** A device's minute is written once it has been quiet this long after the minute's end. */
const QUIET_MS = 2 * 60_000;
const HOUR_MS = 3_600_000;
const hourOf = (ms: number) => ms - (ms % HOUR_MS);
/** While the queue is not drained, late readings are downsampled at most this often. */
const LATE_EVERY_MS = 60_000;
/**
 * Late readings of many devices are downsampled by groups: up to this many devices a query, their
 * ranges within WIDE_SPAN_MS (an ingest catching up after a pause; every watch's open minutes after
 * a crash). A query per device would be thousands of queries for the same data. One query over every
 * device took `influxd` about 3 minutes for 19,470 watches after a crash (30 November), and when it
 * missed its deadline all of it was lost and tried again; a group done is forgotten at once.
 */
const DOWNSAMPLE_GROUP = 500;
const WIDE_SPAN_MS = 3 * 3_600_000;
/**
 * The longest the writer waits for InfluxDB to finish answering a query (making the database, a
 * downsample). node-influx gives up on a request only until the answer's header has come: InfluxDB
 * sends a query's header before it runs it, so when it stopped in the middle of one, the answer never
 * ended and the writer waited for good (seen in the fleet benchmark: the queue full, nothing written,
 * no failure counted). Writes go through our own client (createLineWriter), which ends every request.
 */
const CREATE_DEADLINE_MS = 60_000;
const DOWNSAMPLE_DEADLINE_MS = 5 * 60_000;

export class BatchWriter {
  readonly #o: WriterOptions;
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #databaseReady = false;
  /** The database being made (the requests in flight wait for the same one). */
  #making: Promise<void> | undefined;
  #lateAt = Number.NEGATIVE_INFINITY;
  /** After a failed pass, none before this (InfluxDB just refused or missed a deadline). */
  #lateRetryAt = Number.NEGATIVE_INFINITY;
  /** The late readings being downsampled, beside the writes (a long query does not hold them up). */
  #late: Promise<void> | undefined;
  readonly #rollup: MinuteRollup;

  constructor(options: WriterOptions) {
    this.#o = options;
    this.#warn = rateLimitedWarn(options.logger, 10_000);
    this.#rollup = new MinuteRollup({ closeAfterMs: QUIET_MS, storedBefore: options.queue.storedUntil() });
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    const { queue } = this.#o;
    // Minutes that were only in memory when the last run ended without stop(): from the raw readings.
    const openSince = queue.rollupMark();
    if (openSince !== null) queue.addLate([{ device: EVERY_DEVICE, fromMs: openSince, toMs: this.#now() }]);
    // Minutes open at the last stop(): the rest of each is added to it, not downsampled from the raw
    // readings. Taking them sets the mark to the oldest (a crash of this run redoes them), hence after
    // the last run's mark is read.
    const { minutes, unreadable } = queue.takeOpenMinutes();
    if (unreadable > 0)
      this.#o.logger.warn({ unreadable }, 'open minutes kept at the last stop unreadable; redone from raw');
    this.#rollup.restore(minutes);
    this.#loop = this.#run();
  }

  /** Tells the writer that points were appended. */
  notify(): void {
    this.#wake?.();
  }

  /**
   * Stops after the batch in progress; what remains stays queued on disk. The minutes still open are
   * written as they are, to be seen, and kept in the queue for the next start to take back. If they
   * cannot be written, nothing is kept: the next start redoes them from the raw readings (the mark).
   */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    const open = this.#rollup.open();
    if (this.#databaseReady && (await this.#writeMinutes(this.#rollup.drain()))) this.#o.queue.saveOpenMinutes(open);
  }

  async #run(): Promise<void> {
    let failures = 0;
    const inFlight: Request[] = [];
    while (this.#running || inFlight.length > 0) {
      const { queue, batchSize, maxDelayMs } = this.#o;
      if (inFlight.length === 0) {
        if (queue.size === 0) await this.#sleep(60_000, () => queue.size > 0);
        if (queue.size > 0 && queue.size < batchSize) await this.#sleep(maxDelayMs, () => queue.size >= batchSize);
        if (!this.#running) break;
        if (queue.size === 0) continue;
      }
      // Behind (a backlog, or the ingest busy taking readings in): several batches per request, so the
      // time of a round trip to InfluxDB is paid once for them, and a second request leaves while the
      // first is answered (REQUESTS_IN_FLIGHT).
      while (this.#running && inFlight.length < REQUESTS_IN_FLIGHT) {
        const after = inFlight.at(-1);
        const waiting = queue.size - inFlight.reduce((n, r) => n + r.points, 0);
        if (after && waiting < batchSize) break;
        if (waiting <= 0) break;
        const batch = queue.peek(waiting >= 2 * batchSize ? CATCH_UP_BATCHES * batchSize : batchSize, after?.lastId);
        if (batch.length === 0) break;
        inFlight.push(this.#request(batch));
      }
      const request = inFlight.shift();
      if (!request) continue;
      const outcome = await request.outcome;
      let error: unknown;
      if (!outcome.ok) error = outcome.error;
      else {
        try {
          await this.#written(request);
          if (failures > 0) this.#o.logger.info({ failures, queued: queue.size }, 'InfluxDB writes resumed');
          failures = 0;
          continue;
        } catch (e) {
          error = e; // the queue could not be updated (its file): the batch goes again, as after a failed write
        }
      }
      // The later requests are not taken into account: their batches stay queued and go again, after
      // this one (InfluxDB keeps one point of the same series and time: writing it twice stores it once).
      await Promise.all(inFlight.splice(0).map((r) => r.outcome));
      failures += 1;
      this.#o.metrics.writeFailures.inc();
      this.#warn(
        'write-failed',
        { error: errorMessage(error), queued: queue.size, failures },
        'InfluxDB write failed; the batch stays queued and will be retried',
      );
      await this.#sleep(Math.min(MAX_BACKOFF_MS, 100 * 2 ** Math.min(failures, 6)), () => !this.#running);
    }
  }

  /** Sends a batch of the queue's rows; its outcome never rejects. */
  #request(batch: QueuedRow[]): Request {
    const body = Buffer.concat(batch.flatMap((row, i) => (i === 0 ? [row.lines] : [NEWLINE, row.lines])));
    const refused = new Set<string>();
    return {
      batch,
      body,
      refused,
      points: batch.reduce((n, row) => n + row.n, 0),
      lastId: batch.at(-1)!.id,
      started: performance.now(),
      outcome: this.#send(body, refused).then(
        () => ({ ok: true }) as const,
        (error: unknown) => ({ ok: false, error }) as const,
      ),
    };
  }

  /** A request InfluxDB took: its minutes rolled up, its rows removed from the queue (in the order of the queue). */
  async #written({ batch, body, refused, points, started }: Request): Promise<void> {
    const { queue } = this.#o;
    // The readings of the batch, summed up when they were taken in; read back from the lines written
    // before a restart, or when InfluxDB refused some of them.
    const rolled = this.#rollup.addPartials(
      refused.size === 0
        ? batch.flatMap((row) => row.partials ?? partialsOf(readingsOf(row.lines.toString().split('\n'))))
        : partialsOf(readingsOf(storedLines(body.toString(), refused))),
    );
    const now = this.#now();
    const quiet = this.#rollup.due(queue.size === points ? now : Math.min(now, this.#rollup.newestMs));
    const minutes = [...rolled.minutes, ...quiet];
    queue.remove(batch, {
      late: [...rolled.late, ...beyondHourQuery(minutes, now)],
      openSince: minOf(this.#rollup.oldestOpen(), ...minutes.map(timestampMs)),
      storedUntil: this.#rollup.newestMs,
    });
    if (await this.#writeMinutes(minutes)) queue.setRollupMark(this.#rollup.oldestOpen());
    this.#o.metrics.pointsWritten.inc(points);
    this.#o.metrics.batchSeconds.observe((performance.now() - started) / 1000);
    this.#o.metrics.queueDepth.set(queue.size);
    const after = this.#now();
    if (
      this.#late === undefined &&
      after >= this.#lateRetryAt &&
      (queue.size === 0 || after - this.#lateAt >= LATE_EVERY_MS)
    )
      this.#late = this.#downsampleLate().finally(() => (this.#late = undefined));
  }

  async #send(body: Buffer, refused: Set<string>): Promise<void> {
    if (!this.#databaseReady) {
      this.#making ??= within(CREATE_DEADLINE_MS, 'making the database', ensureDatabase(this.#o.influx))
        .then(() => void (this.#databaseReady = true))
        .finally(() => (this.#making = undefined));
      await this.#making;
    }
    try {
      await this.#o.lines.write(body, { retentionPolicy: RETENTION.raw.name });
    } catch (error) {
      if (!refusedForGood(error)) throw error;
      await this.#bisect(body.toString().split('\n'), refused);
    }
  }

  /** Some point of `lines` is refused for good: writes the others, and moves each refused one to the dead letters. */
  async #bisect(lines: readonly string[], refused: Set<string>): Promise<void> {
    try {
      await this.#o.lines.write(lines.join('\n'), { retentionPolicy: RETENTION.raw.name });
    } catch (error) {
      if (!refusedForGood(error)) throw error;
      if (lines.length === 1) {
        const [line] = lines as [string];
        refused.add(line);
        if (!this.#o.queue.deadLetter(line, errorMessage(error), this.#now())) return; // already there (batch retried)
        this.#o.metrics.deadLettered.inc();
        this.#o.logger.error(
          { point: line.slice(0, line.indexOf(' ')), reason: errorMessage(error) },
          'point refused by InfluxDB, moved to dead letters',
        );
        return;
      }
      const mid = Math.ceil(lines.length / 2);
      await this.#bisect(lines.slice(0, mid), refused);
      await this.#bisect(lines.slice(mid), refused);
    }
  }

  /**
   * Writes complete minutes into the 1-minute retention policy. If InfluxDB refuses them, their
   * ranges are left to the by-hand downsample from the raw readings (kept on disk). True if written.
   */
  async #writeMinutes(minutes: readonly IPoint[]): Promise<boolean> {
    if (minutes.length === 0) return true;
    try {
      await this.#o.lines.write(minutes.map(pointLine).join('\n'), { retentionPolicy: RETENTION.minute.name });
      this.#o.metrics.minutesWritten.inc(minutes.length);
      return true;
    } catch (error) {
      this.#warn(
        'minutes-failed',
        { error: errorMessage(error) },
        'writing 1-minute downsamples failed; redone from raw',
      );
      this.#o.queue.addLate(
        minutes.map((m) => {
          const ms = timestampMs(m);
          return { device: m.tags?.device ?? EVERY_DEVICE, fromMs: ms, toMs: ms + 59_999 };
        }),
      );
      return false;
    }
  }

  /**
   * Folds late readings into the downsamples (the ranges are on disk until done, so a restart or a
   * failure only delays them), by groups of devices (lateGroups). A range of every device's readings
   * is first turned into one range per device InfluxDB knows, so that each group is forgotten once
   * done. Runs beside the write loop; after stop() it leaves the queue alone (what is not done stays
   * on disk). A failure ends the pass: the next one, at least LATE_EVERY_MS later (not at the next
   * batch, on an InfluxDB that just failed a heavy query), tries what is left.
   */
  async #downsampleLate(): Promise<void> {
    this.#lateAt = this.#now();
    const { queue } = this.#o;
    let pending = queue.lateRanges();
    const every = pending.find((r) => r.device === EVERY_DEVICE);
    try {
      if (every) {
        const devices = await within(DOWNSAMPLE_DEADLINE_MS, 'listing the devices', this.#devices());
        if (!this.#running) return;
        queue.splitEvery(every, devices);
        pending = queue.lateRanges();
      }
      // A range of every device widened meanwhile stays as it is, for the next pass.
      const ranges = pending.filter((r) => r.device !== EVERY_DEVICE);
      for (const group of lateGroups(ranges, this.#o.downsampleGroup ?? DOWNSAMPLE_GROUP)) {
        const devices = group.done.map((r) => r.device);
        for (const q of downsampleQueries(devices, group.fromMs, group.toMs))
          await within(
            DOWNSAMPLE_DEADLINE_MS,
            'a downsample',
            // In the request's body: the devices of a group make a query too long for a URL.
            this.#o.influx.query(q, { database: DATABASE, method: 'POST' }),
          );
        if (!this.#running) return;
        queue.lateDone(group.done);
        this.#o.metrics.lateDownsampled.inc(group.done.length);
      }
    } catch (error) {
      this.#lateRetryAt = this.#now() + LATE_EVERY_MS;
      this.#o.metrics.downsampleFailures.inc();
      this.#warn(
        'downsample-failed',
        { error: errorMessage(error) },
        'downsampling late readings failed; raw data is stored, it will be tried again',
      );
    }
  }

  async #devices(): Promise<string[]> {
    const rows = await this.#o.influx.query<{ value: string }>(DEVICES_QUERY, { database: DATABASE });
    return rows.map((r) => r.value);
  }

  readonly #now = (): number => (this.#o.clock ?? Date.now)();

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

/**
 * Per device, the minutes of hours the hourly continuous query will not compute again (at the next
 * hour it recomputes the two hours before): a backfill's older hours are redone by hand with them.
 */
function beyondHourQuery(minutes: readonly IPoint[], now: number): LateRange[] {
  const ranges = new Map<string, { fromMs: number; toMs: number }>();
  for (const m of minutes) {
    const ms = timestampMs(m);
    const device = m.tags?.device;
    if (!device || hourOf(ms) >= hourOf(now) - HOUR_MS) continue;
    const r = ranges.get(device);
    ranges.set(device, r ? { fromMs: Math.min(r.fromMs, ms), toMs: Math.max(r.toMs, ms) } : { fromMs: ms, toMs: ms });
  }
  return [...ranges].map(([device, r]) => ({ device, ...r }));
}

/** Late ranges of some devices, downsampled with one query: from the earliest start to the latest end. */
interface LateGroup {
  readonly fromMs: number;
  toMs: number;
  readonly done: LateRange[];
}

/**
 * Late ranges by groups of one query each: in order of their start, up to `size` devices whose
 * ranges all lie within WIDE_SPAN_MS (a longer range goes alone).
 */
export function lateGroups(ranges: readonly LateRange[], size: number): LateGroup[] {
  const groups: LateGroup[] = [];
  let group: LateGroup | undefined;
  for (const r of [...ranges].sort((a, b) => a.fromMs - b.fromMs)) {
    if (group && group.done.length < size && Math.max(group.toMs, r.toMs) - group.fromMs <= WIDE_SPAN_MS) {
      group.done.push(r);
      group.toMs = Math.max(group.toMs, r.toMs);
    } else groups.push((group = { fromMs: r.fromMs, toMs: r.toMs, done: [r] }));
  }
  return groups;
}

/** `promise`, or a rejection once `ms` have passed without its answer. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`InfluxDB did not finish ${what} within ${ms / 1000} s`)), ms).unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function minOf(...xs: Array<number | null>): number | null {
  return xs.reduce<number | null>((a, x) => (x === null ? a : a === null ? x : Math.min(a, x)), null);
}

/** A 4xx other than 429: InfluxDB will refuse the same points again (a network error or a 5xx may pass). */
function refusedForGood(error: unknown): boolean {
  return error instanceof InfluxWriteError && error.status >= 400 && error.status < 500 && error.status !== 429;
}

/** The lines of a written body, but those InfluxDB refused. */
function* storedLines(body: string, refused: ReadonlySet<string>): Generator<string> {
  let start = 0;
  while (start < body.length) {
    let end = body.indexOf('\n', start);
    if (end < 0) end = body.length;
    const line = body.slice(start, end);
    if (!refused.has(line)) yield line;
    start = end + 1;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
