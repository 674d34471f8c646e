/** SQLite files hold patients' data: the database, its WAL and shared memory, and their folder. */
import Database from 'better-sqlite3';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MigrationError } from './migrate.ts';
import { openSqlite } from './sqlite.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigie-sqlite-'));
  dirs.push(dir);
  return dir;
};
const mode = (path: string) => statSync(path).mode & 0o7777;
const SIDE_FILES = ['', '-wal', '-shm'];

describe('openSqlite', () => {
  it('creates the database, its WAL and shared memory 0600 in a folder 0700', () => {
    const folder = join(temp(), 'ingest', 'store');
    const path = join(folder, 'queue.db');
    const db = openSqlite(path, { migrations: { owner: 't', steps: ['CREATE TABLE t (v TEXT)'] } });
    db.prepare('INSERT INTO t (v) VALUES (?)').run('hr=72');
    for (const suffix of SIDE_FILES) {
      expect(existsSync(`${path}${suffix}`), suffix).toBe(true);
      expect(mode(`${path}${suffix}`).toString(8), suffix).toBe('600');
    }
    expect(mode(folder).toString(8)).toBe('700');
    expect(mode(join(folder, '..')).toString(8)).toBe('700');
    db.close();
  });

  it('narrows a database, WAL, shared memory and folder created readable by others', () => {
    const folder = join(temp(), 'data');
    mkdirSync(folder, { mode: 0o755 });
    chmodSync(folder, 0o755);
    const path = join(folder, 'registry.db');
    // An earlier version's database, still open (its WAL not yet checkpointed), all 0644.
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    old.exec('CREATE TABLE t (v TEXT)');
    old.prepare('INSERT INTO t (v) VALUES (?)').run('spo2=97');
    for (const suffix of SIDE_FILES) chmodSync(`${path}${suffix}`, 0o644);

    const db = openSqlite(path);
    db.prepare('INSERT INTO t (v) VALUES (?)').run('spo2=96');
    for (const suffix of SIDE_FILES) expect(mode(`${path}${suffix}`).toString(8), suffix).toBe('600');
    expect(mode(folder).toString(8)).toBe('700');
    expect(db.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 2 });
    db.close();
    old.close();
  });

  it('runs the owner’s migrations, and gives their failure with the file closed', () => {
    const path = join(temp(), 'x.db');
    const db = openSqlite(path, { migrations: { owner: 'x', steps: ['CREATE TABLE t (v TEXT)'] } });
    db.close();
    expect(() =>
      openSqlite(path, { migrations: { owner: 'x', steps: ['CREATE TABLE t (v TEXT)', 'NOT SQL'] } }),
    ).toThrow(MigrationError);
    // Closed: no connection is left holding the WAL, so SQLite folds it back into the file and removes it.
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses to keep a database in a shared folder such as /tmp', () => {
    const shared = join(temp(), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(() => openSqlite(join(shared, 'x.db'))).toThrow(/shared folder/);
    expect(mode(shared).toString(8)).toBe('1777');
  });
});
