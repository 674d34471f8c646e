/**
 * A bounded, durable FIFO of InfluxDB points on disk (SQLite, WAL). The ingest appends every accepted
 * reading here before acknowledging it, and the writer drains it in order; a restart replays what was
 * not yet written. When it is full, append waits (back-pressure) instead of dropping.
 */
import type Database from 'better-sqlite3';
import type { IPoint } from 'influx';
import { openSqlite } from '../common/sqlite.ts';
import { z } from 'zod';

export interface QueuedPoint { readonly id: number; readonly point: IPoint }

const pointSchema = z.object({
  measurement: z.string(),
  tags: z.record(z.string(), z.string()),
  fields: z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])),
  timestamp: z.string(),
});

export class QueueClosedError extends Error {
  override readonly name = 'QueueClosedError';
}

export class DurableQueue {
  readonly capacity: number;
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string]>;
  readonly #peek: Database.Statement<[number], { id: number; point: string }>;
  readonly #deleteUpTo: Database.Statement<[number]>;
  readonly #deleteOne: Database.Statement<[number]>;
  readonly #insertDead: Database.Statement<[string, string, number]>;
  #size: number;
  #waiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  #closed = false;

  constructor(path: string, capacity: number) {
    this.capacity = capacity;
    // NORMAL in WAL mode: a committed append survives a crash of the process (not of the OS).
    this.#db = openSqlite(path, {
      synchronous: 'NORMAL',
      schema: `
      CREATE TABLE IF NOT EXISTS queue (id INTEGER PRIMARY KEY AUTOINCREMENT, point TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS dead_letters (id INTEGER PRIMARY KEY AUTOINCREMENT, point TEXT NOT NULL, reason TEXT NOT NULL, at INTEGER NOT NULL);
    `,
    });
    this.#insert = this.#db.prepare('INSERT INTO queue (point) VALUES (?)');
    this.#peek = this.#db.prepare('SELECT id, point FROM queue ORDER BY id LIMIT ?');
    this.#deleteUpTo = this.#db.prepare('DELETE FROM queue WHERE id <= ?');
    this.#deleteOne = this.#db.prepare('DELETE FROM queue WHERE id = ?');
    this.#insertDead = this.#db.prepare('INSERT INTO dead_letters (point, reason, at) VALUES (?, ?, ?)');
    this.#size = this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM queue').get()?.n ?? 0;
  }

  get size(): number {
    return this.#size;
  }

  get deadLetters(): number {
    return this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dead_letters').get()?.n ?? 0;
  }

  /** Resolves once there is room for `count` more points (immediately if there is). */
  async waitForRoom(count = 1): Promise<void> {
    while (this.#size + count > this.capacity && this.#size > 0) {
      if (this.#closed) throw new QueueClosedError('queue closed');
      await new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    }
  }

  /** Appends points in one transaction; durable when it returns. */
  append(points: readonly IPoint[]): void {
    if (this.#closed) throw new QueueClosedError('queue closed');
    this.#db.transaction(() => {
      for (const p of points) this.#insert.run(JSON.stringify(p));
    })();
    this.#size += points.length;
  }

  /** The oldest points, in order. */
  peek(limit: number): QueuedPoint[] {
    return this.#peek.all(limit).map((row) => ({ id: row.id, point: pointSchema.parse(JSON.parse(row.point)) }));
  }

  /** Removes points returned by the last peek (they are stored in InfluxDB). */
  remove(items: readonly QueuedPoint[]): void {
    const last = items.at(-1);
    if (!last) return;
    // The writer is the only remover and peek returns the oldest rows, so they are exactly those <= last.id.
    // Count what was deleted, not what was peeked: points of the batch already dead-lettered are gone.
    const { changes } = this.#deleteUpTo.run(last.id);
    this.#size = Math.max(0, this.#size - changes);
    this.#wake();
  }

  /** Moves a point InfluxDB refuses for good to the dead letters, with the reason: kept, not lost. */
  deadLetter(item: QueuedPoint, reason: string, now: number): void {
    this.#db.transaction(() => {
      this.#insertDead.run(JSON.stringify(item.point), reason, now);
      this.#deleteOne.run(item.id);
    })();
    this.#size = Math.max(0, this.#size - 1);
    this.#wake();
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
