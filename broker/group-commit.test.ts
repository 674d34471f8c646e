import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../common/sqlite.ts';
import { GroupCommit, MAX_ROWS, type OutgoingRow } from './group-commit.ts';
import { BROKER_MIGRATIONS } from './persistence.ts';

const opened: Array<{ dir: string; db: Database.Database }> = [];
afterEach(() =>
  opened.splice(0).forEach(({ dir, db }) => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }),
);

function open(): { db: Database.Database; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-group-commit-'));
  const file = join(dir, 'broker.db');
  const db = openSqlite(file, { synchronous: 'NORMAL', migrations: { owner: 'broker', steps: BROKER_MIGRATIONS } });
  opened.push({ dir, db });
  return { db, file };
}
const row = (seq: number): OutgoingRow => [seq, 'vigie-ingest', 'vigie-broker-1', seq, Buffer.from(`packet ${seq}`)];
/** What another connection sees on disk. */
const seqsOnDisk = (file: string) => {
  const reader = openSqlite(file, { readonly: true });
  try {
    return reader
      .prepare<[], { seq: number }>('SELECT seq FROM outgoing ORDER BY seq')
      .all()
      .map((r) => r.seq);
  } finally {
    reader.close();
  }
};
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("the broker persistence's group commit", () => {
  it('writes a turn in one transaction, more rows than one statement carries, and resolves once they are on disk', async () => {
    const { db, file } = open();
    const commits = new GroupCommit(db);
    const n = 2 * MAX_ROWS + 7;
    const stored = range(1, n).map((seq) => commits.insertOutgoing(row(seq)));
    expect(seqsOnDisk(file)).toEqual([]); // nothing before the commit
    expect(new Set(stored).size).toBe(1); // every writer of the turn waits for the same commit
    await Promise.all(stored);
    expect(seqsOnDisk(file)).toEqual(range(1, n));
    expect(
      db.prepare<[number], { packet: Buffer }>('SELECT packet FROM outgoing WHERE seq = ?').get(n)?.packet,
    ).toEqual(row(n)[4]);

    // The next turn: deletions across statements, a replacement, new rows; each in its place.
    const next = [
      ...range(1, MAX_ROWS + 3).map((seq) => commits.deleteOutgoing(seq)),
      commits.write(() => db.prepare('UPDATE outgoing SET packet = ? WHERE seq = ?').run(Buffer.from('pubrel'), n)),
      commits.insertOutgoing(row(n + 1)),
    ];
    await Promise.all(next);
    expect(seqsOnDisk(file)).toEqual(range(MAX_ROWS + 4, n + 1));
    expect(
      db.prepare<[number], { packet: Buffer }>('SELECT packet FROM outgoing WHERE seq = ?').get(n)?.packet,
    ).toEqual(Buffer.from('pubrel'));
  });

  it('rejects every writer of a turn whose transaction fails, and keeps nothing of it', async () => {
    const { db, file } = open();
    const commits = new GroupCommit(db);
    await commits.insertOutgoing(row(1));
    const failing = [
      commits.insertOutgoing(row(2)),
      commits.deleteOutgoing(1),
      commits.write(() => {
        throw new Error('disk full');
      }),
    ];
    for (const p of failing) await expect(p).rejects.toThrow('disk full');
    expect(seqsOnDisk(file)).toEqual([1]);
    await commits.insertOutgoing(row(3)); // the next turn commits as usual
    expect(seqsOnDisk(file)).toEqual([1, 3]);
  });

  it('commits what waits when flushed (the persistence closing)', () => {
    const { db, file } = open();
    const commits = new GroupCommit(db);
    const stored = commits.insertOutgoing(row(1));
    commits.flush();
    expect(seqsOnDisk(file)).toEqual([1]);
    return stored;
  });
});
