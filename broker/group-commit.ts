/**
 * The broker persistence's group commit: every write of one event-loop turn goes into one SQLite
 * transaction, run in setImmediate; each writer's promise resolves once that transaction is
 * committed, so aedes acknowledges a message only after it is stored.
 *
 * The two writes made for every QoS 1 message (its row in `outgoing` when queued for a persistent
 * subscriber, and its deletion when that subscriber acknowledges it) are gathered as rows and run as
 * multi-row statements, up to MAX_ROWS a statement, rather than one statement per message: under
 * the broker benchmark a turn carries hundreds of them, and each statement run costs its binding,
 * step and reset. Within a transaction the rows are inserted first and deleted last, the other
 * changes run in between in their order: a row is deleted or replaced only after it was queued in an
 * earlier call, and a deleted row is never written again (sequence numbers are not reused), so the
 * committed state is the one of running every write in its order.
 */
import type Database from 'better-sqlite3';

/** Rows a multi-row statement carries at most (5 parameters each, far below SQLite's limit). */
export const MAX_ROWS = 64;

/** One queued message's row. */
export type OutgoingRow = readonly [seq: number, clientId: string, brokerId: string, counter: number, packet: Buffer];

interface Batch {
  readonly inserted: OutgoingRow[];
  readonly changes: Array<() => void>;
  readonly deleted: number[];
  readonly done: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

export class GroupCommit {
  readonly #db: Database.Database;
  readonly #inserts = new Map<number, Database.Statement<unknown[]>>();
  readonly #deletes = new Map<number, Database.Statement<unknown[]>>();
  readonly #commitBatch: (batch: Batch) => void;
  #batch: Batch | undefined;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#commitBatch = db.transaction((batch: Batch) => {
      this.#run(batch.inserted, this.#inserts, (n) => {
        const values = Array.from({ length: n }, () => '(?, ?, ?, ?, ?)').join(', ');
        return `INSERT INTO outgoing (seq, client_id, broker_id, counter, packet) VALUES ${values}`;
      });
      for (const change of batch.changes) change();
      this.#run(batch.deleted, this.#deletes, (n) => `DELETE FROM outgoing WHERE seq IN (${'?, '.repeat(n - 1)}?)`);
    });
  }

  /** Queues a message's row in the next commit. */
  insertOutgoing(row: OutgoingRow): Promise<void> {
    const batch = this.#next();
    batch.inserted.push(row);
    return batch.done;
  }

  /** Deletes a queued message's row in the next commit. */
  deleteOutgoing(seq: number): Promise<void> {
    const batch = this.#next();
    batch.deleted.push(seq);
    return batch.done;
  }

  /** Runs `change` in the next commit. */
  write(change: () => void): Promise<void> {
    const batch = this.#next();
    batch.changes.push(change);
    return batch.done;
  }

  /** Commits what waits now (the persistence is closing). */
  flush(): void {
    const batch = this.#batch;
    if (!batch) return;
    this.#batch = undefined;
    try {
      this.#commitBatch(batch);
    } catch (error) {
      return batch.reject(error as Error);
    }
    batch.resolve();
  }

  #next(): Batch {
    if (this.#batch) return this.#batch;
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const done = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    this.#batch = { inserted: [], changes: [], deleted: [], done, resolve, reject };
    setImmediate(() => this.flush());
    return this.#batch;
  }

  /** Runs `items` through statements of up to MAX_ROWS rows each, made once per row count. */
  #run<T>(items: readonly T[], cache: Map<number, Database.Statement<unknown[]>>, sql: (n: number) => string): void {
    for (let from = 0; from < items.length; from += MAX_ROWS) {
      const chunk = items.slice(from, from + MAX_ROWS);
      let statement = cache.get(chunk.length);
      if (!statement) cache.set(chunk.length, (statement = this.#db.prepare<unknown[]>(sql(chunk.length))));
      statement.run(...chunk.flat());
    }
  }
}
