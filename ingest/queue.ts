/**
 * A bounded, durable FIFO of InfluxDB points on disk (SQLite, WAL). The ingest appends every accepted
 * reading here before acknowledging it, and the writer drains it in order; a restart replays what was
 * not yet written. When it is full, append waits (back-pressure) instead of dropping.
 *
 * One row per append (the points of a group of messages, as JSON): one INSERT and one commit per
 * group rather than one per point or per message, and the writer reads whole rows. Profiled under load, one row per point with a schema check
 * on every read took 40 % of the ingest's CPU. The rows are written only by this class, so they are
 * read back without a schema check.
 */
import type Database from 'better-sqlite3';
import type { IPoint } from 'influx';
import type { Migration } from '../common/migrate.ts';
import { openSqlite } from '../common/sqlite.ts';

/** A point read from the queue, and the row (append) it belongs to. */
export interface QueuedPoint {
  readonly id: number;
  readonly point: IPoint;
}

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
];

/** A device's readings ('*': every device's), from one time to another (ms, inclusive), to downsample by hand. */
export interface LateRange {
  readonly device: string;
  readonly fromMs: number;
  readonly toMs: number;
}

export class DurableQueue {
  readonly capacity: number;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, number]>;
  readonly #rows: Database.Statement<[number], { id: number; points: string }>;
  readonly #countUpTo: Database.Statement<[number], { n: number }>;
  readonly #deleteUpTo: Database.Statement<[number]>;
  readonly #insertDead: Database.Statement<[string, string, number]>;
  readonly #addLate: Database.Statement<[string, number, number]>;
  readonly #late: Database.Statement<[], { device: string; fromMs: number; toMs: number }>;
  readonly #lateDone: Database.Statement<[string, number, number]>;
  readonly #mark: Database.Statement<[], { openSince: number | null }>;
  readonly #setMark: Database.Statement<[number | null]>;
  #size: number;
  #waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  #closed = false;

  constructor(path: string, capacity: number) {
    this.capacity = capacity;
    // NORMAL in WAL mode: a committed append survives a crash of the process (not of the OS).
    this.#db = openSqlite(path, {
      synchronous: 'NORMAL',
      migrations: { owner: 'ingest-queue', steps: QUEUE_MIGRATIONS },
    });
    this.#insert = this.#db.prepare('INSERT INTO appends (points, n) VALUES (?, ?)');
    this.#rows = this.#db.prepare('SELECT id, points FROM appends WHERE id > ? ORDER BY id');
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
    this.#size = this.#db.prepare<[], { n: number }>('SELECT coalesce(sum(n), 0) AS n FROM appends').get()?.n ?? 0;
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
   * Appends points as one row, in one transaction: durable when it returns. The ingest appends the
   * points of a whole group of messages at once (one commit for all of them).
   */
  append(points: readonly IPoint[]): void {
    if (this.#closed) throw new QueueClosedError('queue closed');
    if (points.length === 0) return;
    this.#insert.run(JSON.stringify(points), points.length);
    this.#size += points.length;
  }

  /**
   * The oldest points, in order, whole appends only: at least `limit` if there are as many. `after`:
   * those of the appends after that one (the writer reads the next batch while one is in flight).
   */
  peek(limit: number, after = 0): QueuedPoint[] {
    const out: QueuedPoint[] = [];
    for (const row of this.#rows.iterate(after)) {
      for (const point of JSON.parse(row.points) as IPoint[]) out.push({ id: row.id, point });
      if (out.length >= limit) break; // leaving the loop ends the statement
    }
    return out;
  }

  /**
   * Removes the oldest points, returned by peek (stored in InfluxDB, or in the dead letters) and, in the
   * same transaction, records what the 1-minute downsample must redo from them (`late`) and the oldest
   * minute it holds only in memory (`openSince`).
   */
  remove(
    items: readonly QueuedPoint[],
    rollup: { late: readonly LateRange[]; openSince: number | null } = { late: [], openSince: null },
  ): void {
    const last = items.at(-1);
    if (!last) return;
    // The writer is the only remover and removes the oldest batch first, so it is exactly the rows <= last.id.
    const removed = this.#db.transaction(() => {
      const n = this.#countUpTo.get(last.id)?.n ?? 0;
      this.#deleteUpTo.run(last.id);
      for (const r of rollup.late) this.#addLate.run(r.device, r.fromMs, r.toMs);
      this.#setMark.run(rollup.openSince);
      return n;
    })();
    this.#size = Math.max(0, this.#size - removed);
    this.#wake();
  }

  /**
   * Keeps a point InfluxDB refuses for good in the dead letters, with the reason: kept, not lost. It
   * leaves the queue with the rest of its batch (remove). Returns false if it was already there.
   */
  deadLetter(item: QueuedPoint, reason: string, now: number): boolean {
    return this.#insertDead.run(JSON.stringify(item.point), reason, now).changes > 0;
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

  /** The late readings still to downsample, a range per device. */
  lateRanges(): LateRange[] {
    return this.#late.all();
  }

  /** Forgets a range once downsampled, unless more late readings widened it in the meantime. */
  lateDone(range: LateRange): void {
    this.#lateDone.run(range.device, range.fromMs, range.toMs);
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(new QueueClosedError('queue closed'));
    this.#db.close();
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w.resolve();
  }
}
