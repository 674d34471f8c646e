/**
 * A bounded, durable FIFO of InfluxDB points on disk. The ingest appends every accepted reading here
 * before acknowledging it, and the writer drains it in order; a restart replays what was not yet
 * written. When it is full, append waits (back-pressure) instead of dropping.
 *
 * One record per append (the points of a group of messages): one write per group rather than one
 * per point or per message, and the writer reads whole records. The points are stored as the line
 * protocol InfluxDB takes (ingest/line-protocol.ts), built once when their message is accepted: the
 * writer puts records side by side in a request body with no parsing nor serialising per point.
 * Rows of JSON points (and, before them, one row per point) cost the ingest 16 % of its CPU to parse
 * and 13 % to serialise again (npm run bench -- --parts ingest).
 *
 * The records are in an append-only log beside the SQLite file (ingest/append-log.ts), which keeps
 * the rest: the last record removed, the dead letters and the state of the 1-minute downsample.
 * Queues of earlier versions kept the points as rows of the SQLite file (`appends`): those rows are
 * read first, and removed as before, until none is left.
 */
import { basename, dirname, join } from 'node:path';
import type Database from 'better-sqlite3';
import type { IPoint } from 'influx';
import { z } from 'zod';
import type { Migration } from '../common/migrate.ts';
import { openSqlite } from '../common/sqlite.ts';
import { AppendLog } from './append-log.ts';
import { pointLine } from './line-protocol.ts';
import type { MinutePartial, OpenMinute } from './minute-rollup.ts';
import { FLOAT_VITALS, type MinuteAggregate } from './schema.ts';

/** An append read from the queue: its points, one line each. */
export interface QueuedRow {
  readonly id: number;
  /** Line protocol in UTF-8, one point per line ('\n' between them), as the writer sends it. */
  readonly lines: Buffer;
  /** How many points (lines). */
  readonly n: number;
  /** Its readings summed up for the minute roll-up, while the queue has them in memory (see append). */
  readonly partials?: readonly MinutePartial[];
}

/**
 * Partial minutes kept in memory (beyond: the writer reads the readings back from the lines). A
 * device's minute takes one or two per append: a full queue of a full node's readings (a million
 * points from 19,150 watches) holds about 150,000. Keeping the readings themselves instead cost
 * memory and the garbage collector's time, and the queue held them for 300,000 points only: in the
 * ingest benchmark's sustained rounds the queue is fuller than that, and reading lines back took
 * 8 % of the ingest's CPU.
 */
const MEMO_PARTIALS = 300_000;

export class QueueClosedError extends Error {
  override readonly name = 'QueueClosedError';
}

/** Exported for the upgrade tests. */
export const QUEUE_MIGRATIONS: readonly Migration[] = [
  (db) => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS appends (id INTEGER PRIMARY KEY AUTOINCREMENT, points TEXT NOT NULL, n INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, point TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
      CREATE UNIQUE INDEX IF NOT EXISTS dead_letters_point ON dead_letters (point);
    `);
    // A queue written by an earlier version (one row per point) is carried over, in order.
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'queue'").get()) {
      db.exec(
        `INSERT INTO appends (points, n) SELECT '[' || point || ']', 1 FROM queue ORDER BY id; DROP TABLE queue;`,
      );
    }
  },
  // The writer's 1-minute downsample (ingest/minute-rollup.ts): ranges to redo from the raw readings
  // ('*': every device), and the oldest minute only in memory (redone after a crash).
  (db) => {
    db.exec(`
      CREATE TABLE downsample_pending (device TEXT PRIMARY KEY, from_ms INTEGER NOT NULL, to_ms INTEGER NOT NULL);
      CREATE TABLE rollup_mark (id INTEGER PRIMARY KEY CHECK (id = 1), open_since INTEGER);
    `);
  },
  // Points as line protocol: rows of JSON points (and dead letters) written by an earlier version are
  // carried over as lines, in order.
  (db) => {
    db.exec('CREATE TABLE lines (id INTEGER PRIMARY KEY AUTOINCREMENT, lines TEXT NOT NULL, n INTEGER NOT NULL)');
    const insert = db.prepare<[number, string, number]>('INSERT INTO lines (id, lines, n) VALUES (?, ?, ?)');
    const rows = db.prepare<[], { id: number; points: string }>('SELECT id, points FROM appends ORDER BY id');
    for (const row of rows.all()) {
      const points = JSON.parse(row.points) as IPoint[];
      insert.run(row.id, points.map(pointLine).join('\n'), points.length);
    }
    db.exec('DROP TABLE appends; ALTER TABLE lines RENAME TO appends');
    const dead = db.prepare<[], { id: number; point: string }>('SELECT id, point FROM dead_letters');
    const rewrite = db.prepare<[string, number]>('UPDATE OR IGNORE dead_letters SET point = ? WHERE id = ?');
    for (const d of dead.all()) rewrite.run(pointLine(JSON.parse(d.point) as IPoint), d.id);
  },
  // The newest reading this queue's writers have stored (ms): a device's first minute after a start is
  // partly stored only if it began before that. A queue whose writer has removed a batch (the mark's
  // row exists) stored readings up to about now; a new queue has stored none.
  (db) => {
    db.exec('ALTER TABLE rollup_mark ADD COLUMN stored_until INTEGER');
    db.prepare('UPDATE rollup_mark SET stored_until = ?').run(Date.now());
  },
  // The minutes of the 1-minute downsample still open at a clean stop, one per device, until the next
  // start takes them back (`agg`: the MinuteAggregate as JSON).
  'CREATE TABLE open_minutes (device TEXT PRIMARY KEY, patient TEXT NOT NULL, minute INTEGER NOT NULL, agg TEXT NOT NULL)',
  // Points in an append-only log beside the file (ingest/append-log.ts): the last record removed.
  'CREATE TABLE log_removed (id INTEGER PRIMARY KEY CHECK (id = 1), up_to INTEGER NOT NULL)',
];

/** The folder of a queue's log: `queue.db` keeps its points in `queue-log/`. */
export function logFolder(path: string): string {
  return join(dirname(path), `${basename(path, '.db')}-log`);
}

const VITAL_VALUES = z.partialRecord(z.enum(FLOAT_VITALS), z.number());
const MINUTE_AGGREGATE = z.object({
  sums: VITAL_VALUES,
  mins: VITAL_VALUES,
  maxs: VITAL_VALUES,
  counts: VITAL_VALUES,
  steps: z.number().nullable(),
  battery: z.object({ value: z.number(), ms: z.number() }).nullable(),
  samples: z.number(),
});

/** A MinuteAggregate kept as JSON, or undefined if it is not one. */
function aggregateOf(json: string): MinuteAggregate | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  const parsed = MINUTE_AGGREGATE.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** A late range of every device's readings (no device id starts so). */
export const EVERY_DEVICE = '*';

/** A device's readings ('*': every device's), from one time to another (ms, inclusive), to downsample by hand. */
export interface LateRange {
  readonly device: string;
  readonly fromMs: number;
  readonly toMs: number;
}

export class DurableQueue {
  readonly capacity: number;
  readonly #db: Database.Database;
  readonly #log: AppendLog;
  /** The next append's id. */
  #nextId: number;
  /** The newest row of points an earlier version left in the SQLite file (0: none left). */
  #legacyUpTo: number;
  readonly #setRemoved: Database.Statement<[number]>;
  /** A row's lines are a BLOB; rows written by an earlier version hold TEXT. */
  readonly #rows: Database.Statement<[number], { id: number; lines: Buffer | string; n: number }>;
  readonly #countUpTo: Database.Statement<[number], { n: number }>;
  readonly #deleteUpTo: Database.Statement<[number]>;
  readonly #insertDead: Database.Statement<[string, string, number]>;
  readonly #addLate: Database.Statement<[string, number, number]>;
  readonly #late: Database.Statement<[], { device: string; fromMs: number; toMs: number }>;
  readonly #lateDone: Database.Statement<[string, number, number]>;
  readonly #mark: Database.Statement<[], { openSince: number | null }>;
  readonly #setMark: Database.Statement<[number | null]>;
  readonly #stored: Database.Statement<[], { storedUntil: number | null }>;
  readonly #setStored: Database.Statement<[number]>;
  readonly #saveOpen: Database.Statement<[string, string, number, string]>;
  readonly #openMinutes: Database.Statement<[], { device: string; patient: string; minute: number; agg: string }>;
  readonly #forgetOpen: Database.Statement<[]>;
  #size: number;
  /** The partial minutes of recent appends, by row: the writer's roll-up need not read their lines back. */
  readonly #memo = new Map<number, readonly MinutePartial[]>();
  #memoPartials = 0;
  #waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  #closed = false;

  constructor(path: string, capacity: number) {
    this.capacity = capacity;
    // NORMAL in WAL mode: a commit survives a crash of the process (not of the OS), as the log's appends.
    this.#db = openSqlite(path, {
      synchronous: 'NORMAL',
      migrations: { owner: 'ingest-queue', steps: QUEUE_MIGRATIONS },
    });
    const removedUpTo =
      this.#db.prepare<[], { upTo: number }>('SELECT up_to AS upTo FROM log_removed WHERE id = 1').get()?.upTo ?? 0;
    this.#setRemoved = this.#db.prepare<[number]>(
      `INSERT INTO log_removed (id, up_to) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET up_to = max(up_to, excluded.up_to)`,
    );
    this.#log = new AppendLog(logFolder(path), { removedUpTo });
    // The ids go on from the rows an earlier version wrote (AUTOINCREMENT), removed or not.
    const rowsUpTo =
      this.#db.prepare<[], { seq: number }>("SELECT seq FROM sqlite_sequence WHERE name = 'appends'").get()?.seq ?? 0;
    this.#nextId = Math.max(this.#log.lastId, rowsUpTo) + 1;
    this.#rows = this.#db.prepare('SELECT id, lines, n FROM appends WHERE id > ? ORDER BY id');
    this.#countUpTo = this.#db.prepare('SELECT coalesce(sum(n), 0) AS n FROM appends WHERE id <= ?');
    this.#deleteUpTo = this.#db.prepare('DELETE FROM appends WHERE id <= ?');
    // A point refused again after a retry of its batch is recorded once.
    this.#insertDead = this.#db.prepare('INSERT OR IGNORE INTO dead_letters (point, reason, at) VALUES (?, ?, ?)');
    this.#addLate = this.#db.prepare(
      `INSERT INTO downsample_pending (device, from_ms, to_ms) VALUES (?, ?, ?) ON CONFLICT (device)
       DO UPDATE SET from_ms = min(from_ms, excluded.from_ms), to_ms = max(to_ms, excluded.to_ms)`,
    );
    this.#late = this.#db.prepare('SELECT device, from_ms AS fromMs, to_ms AS toMs FROM downsample_pending');
    this.#lateDone = this.#db.prepare('DELETE FROM downsample_pending WHERE device = ? AND from_ms = ? AND to_ms = ?');
    this.#mark = this.#db.prepare('SELECT open_since AS openSince FROM rollup_mark WHERE id = 1');
    this.#setMark = this.#db.prepare<[number | null]>(
      'INSERT INTO rollup_mark (id, open_since) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET open_since = excluded.open_since',
    );
    this.#stored = this.#db.prepare('SELECT stored_until AS storedUntil FROM rollup_mark WHERE id = 1');
    this.#setStored = this.#db.prepare<[number]>(
      `INSERT INTO rollup_mark (id, stored_until) VALUES (1, ?) ON CONFLICT (id)
       DO UPDATE SET stored_until = max(coalesce(stored_until, excluded.stored_until), excluded.stored_until)`,
    );
    this.#saveOpen = this.#db.prepare(
      'INSERT OR REPLACE INTO open_minutes (device, patient, minute, agg) VALUES (?, ?, ?, ?)',
    );
    this.#openMinutes = this.#db.prepare('SELECT device, patient, minute, agg FROM open_minutes');
    this.#forgetOpen = this.#db.prepare('DELETE FROM open_minutes');
    const legacy = this.#db
      .prepare<[], { n: number; upTo: number }>(
        'SELECT coalesce(sum(n), 0) AS n, coalesce(max(id), 0) AS upTo FROM appends',
      )
      .get();
    this.#legacyUpTo = legacy?.upTo ?? 0;
    this.#size = (legacy?.n ?? 0) + this.#log.records.reduce((n, r) => n + r.n, 0);
  }

  /** Parts of the log found unreadable when the queue was opened, and left out (a cut after a power cut). */
  get damaged(): ReadonlyArray<{ readonly file: string; readonly at: number; readonly reason: string }> {
    return this.#log.damaged;
  }

  get size(): number {
    return this.#size;
  }

  get deadLetters(): number {
    return this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dead_letters').get()?.n ?? 0;
  }

  /**
   * Resolves once there is room for `count` more points (immediately if there is); rejects with
   * QueueClosedError when the queue closes or `signal` aborts (its owner stops) first.
   */
  async waitForRoom(count = 1, signal?: AbortSignal): Promise<void> {
    while (this.#size + count > this.capacity && this.#size > 0) {
      if (this.#closed || signal?.aborted) throw new QueueClosedError('queue closed');
      await new Promise<void>((resolve, reject) => {
        const abort = () => {
          this.#waiters = this.#waiters.filter((w) => w !== waiter);
          reject(new QueueClosedError('stopping'));
        };
        const waiter = {
          resolve: () => {
            signal?.removeEventListener('abort', abort);
            resolve();
          },
          reject: (e: Error) => {
            signal?.removeEventListener('abort', abort);
            reject(e);
          },
        };
        this.#waiters.push(waiter);
        signal?.addEventListener('abort', abort, { once: true });
      });
    }
  }

  /**
   * Appends points (one line of line protocol each, ingest/line-protocol.ts) as one record of the
   * log: durable when it returns. The ingest appends the points of a whole group of messages at once
   * (one write for all of them).
   */
  append(lines: readonly string[], partials?: readonly MinutePartial[]): void {
    if (this.#closed) throw new QueueClosedError('queue closed');
    if (lines.length === 0) return;
    const id = this.#nextId;
    this.#log.append(id, lines.length, Buffer.from(lines.join('\n')));
    this.#nextId += 1;
    this.#size += lines.length;
    // `partials`: the readings among `lines` summed up (none: the writer reads the lines back).
    if (partials && this.#memoPartials + partials.length <= MEMO_PARTIALS) {
      this.#memo.set(id, partials);
      this.#memoPartials += partials.length;
    }
  }

  /**
   * The oldest appends, in order: at least `limit` points if there are as many. `after`: the appends
   * after that one.
   */
  peek(limit: number, after = 0): QueuedRow[] {
    const out: QueuedRow[] = [];
    let points = 0;
    if (after < this.#legacyUpTo)
      for (const { id, lines, n } of this.#rows.iterate(after)) {
        out.push({ id, lines: typeof lines === 'string' ? Buffer.from(lines) : lines, n });
        points += n;
        if (points >= limit) return out; // leaving the loop ends the statement
      }
    for (const record of this.#log.records) {
      if (record.id <= after) continue;
      const { id, n } = record;
      const partials = this.#memo.get(id);
      const row = { id, lines: this.#log.read(record), n };
      out.push(partials ? { ...row, partials } : row);
      points += n;
      if (points >= limit) break;
    }
    return out;
  }

  /**
   * Removes the oldest points, returned by peek (stored in InfluxDB, or in the dead letters) and, in the
   * same transaction, records what the 1-minute downsample must redo from them (`late`), the oldest
   * minute it holds only in memory (`openSince`) and the newest reading stored so far (`storedUntil`).
   */
  remove(
    items: readonly QueuedRow[],
    rollup: { late: readonly LateRange[]; openSince: number | null; storedUntil?: number } = {
      late: [],
      openSince: null,
    },
  ): void {
    const last = items.at(-1);
    if (!last) return;
    // The writer is the only remover and removes the oldest batch first, so it is exactly the records <= last.id.
    const legacyRemoved = this.#db.transaction(() => {
      let n = 0;
      if (this.#legacyUpTo > 0) {
        n = this.#countUpTo.get(last.id)?.n ?? 0;
        this.#deleteUpTo.run(last.id);
      }
      this.#setRemoved.run(last.id);
      for (const r of rollup.late) this.#addLate.run(r.device, r.fromMs, r.toMs);
      this.#setMark.run(rollup.openSince);
      if (rollup.storedUntil !== undefined && Number.isFinite(rollup.storedUntil))
        this.#setStored.run(rollup.storedUntil);
      return n;
    })();
    const removed = legacyRemoved + this.#log.removeUpTo(last.id);
    if (last.id >= this.#legacyUpTo) this.#legacyUpTo = 0;
    this.#size = Math.max(0, this.#size - removed);
    for (const [id, partials] of this.#memo) {
      if (id > last.id) break; // in the order of the appends
      this.#memo.delete(id);
      this.#memoPartials -= partials.length;
    }
    this.#wake();
  }

  /**
   * Keeps a point InfluxDB refuses for good in the dead letters, with the reason: kept, not lost. It
   * leaves the queue with the rest of its batch (remove). Returns false if it was already there.
   */
  deadLetter(line: string, reason: string, now: number): boolean {
    return this.#insertDead.run(line, reason, now).changes > 0;
  }

  /** Adds ranges to downsample by hand (widening those already there). */
  addLate(ranges: readonly LateRange[]): void {
    this.#db.transaction(() => {
      for (const r of ranges) this.#addLate.run(r.device, r.fromMs, r.toMs);
    })();
  }

  /** The oldest minute the writer held only in memory when it last removed a batch (null: none). */
  rollupMark(): number | null {
    return this.#mark.get()?.openSince ?? null;
  }

  setRollupMark(openSince: number | null): void {
    this.#setMark.run(openSince);
  }

  /** The newest reading (ms) any writer of this queue has stored, or null if none has stored one. */
  storedUntil(): number | null {
    return this.#stored.get()?.storedUntil ?? null;
  }

  /**
   * At a clean stop, once the minutes of the 1-minute downsample still open are written as they are:
   * keeps them for the next start to take back (takeOpenMinutes) and clears the rollup mark (no minute
   * is only in memory any more), in one transaction. A device's minute replaces one kept before.
   */
  saveOpenMinutes(minutes: readonly OpenMinute[]): void {
    this.#db.transaction(() => {
      for (const m of minutes) this.#saveOpen.run(m.device, m.patient, m.minute, JSON.stringify(m.agg));
      this.#setMark.run(null);
    })();
  }

  /**
   * The minutes kept at the last clean stop, taken once: read and forgotten in one transaction, which
   * also sets the rollup mark to the oldest of them, so that should this run end without a clean stop,
   * they are redone from the raw readings like any minute held only in memory. A row that is not a
   * minute is forgotten and counted (`unreadable`): its device's minute is left to the raw readings,
   * as if it had not been kept.
   */
  takeOpenMinutes(): { minutes: OpenMinute[]; unreadable: number } {
    return this.#db.transaction(() => {
      const minutes: OpenMinute[] = [];
      let unreadable = 0;
      for (const { device, patient, minute, agg } of this.#openMinutes.all()) {
        const aggregate = aggregateOf(agg);
        if (aggregate && Number.isSafeInteger(minute)) minutes.push({ device, patient, minute, agg: aggregate });
        else unreadable += 1;
      }
      this.#forgetOpen.run();
      const oldest = minutes.reduce((a, m) => Math.min(a, m.minute), Number.POSITIVE_INFINITY);
      if (Number.isFinite(oldest)) this.#setMark.run(oldest);
      return { minutes, unreadable };
    })();
  }

  /**
   * Turns a range of every device's readings into one range per device (those InfluxDB knows), so that
   * each group of them is forgotten once downsampled (lateDone). One transaction; `every` is left as it
   * is if it was widened in the meantime.
   */
  splitEvery(every: LateRange, devices: readonly string[]): void {
    this.#db.transaction(() => {
      for (const device of devices) this.#addLate.run(device, every.fromMs, every.toMs);
      this.#lateDone.run(every.device, every.fromMs, every.toMs);
    })();
  }

  /** The late readings still to downsample, a range per device. */
  lateRanges(): LateRange[] {
    return this.#late.all();
  }

  /**
   * Forgets ranges once downsampled, unless more late readings widened them in the meantime. One
   * transaction: a fleet's ranges (one per watch) are one commit, not thousands on the event loop.
   */
  lateDone(ranges: readonly LateRange[]): void {
    this.#db.transaction(() => {
      for (const r of ranges) this.#lateDone.run(r.device, r.fromMs, r.toMs);
    })();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(new QueueClosedError('queue closed'));
    this.#log.close();
    this.#db.close();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w.resolve();
  }
}
