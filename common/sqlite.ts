/**
 * Opens one of Vigie's SQLite files the same way everywhere: WAL (readers never wait for the writer,
 * several processes may share a file), a busy timeout for those processes, foreign keys on, and the
 * durability the caller asks for (FULL for alarms and alert state, NORMAL for replayable buffers).
 * Its owner's migrations run before anyone uses it (a file from a newer release is refused).
 * The file, its folder and SQLite's side files are readable by the service user only.
 */
import Database from 'better-sqlite3';
import { dirname } from 'node:path';
import { migrate, type Migration } from './migrate.ts';
import { narrowIfExists, privateDir, privateFile } from './private-files.ts';

/** The owner of tables in the file and its numbered steps (see migrate.ts), run before it is used. */
export interface OwnedSchema {
  readonly owner: string;
  readonly steps: readonly Migration[];
}

export function openSqlite(
  path: string,
  options: {
    synchronous?: 'FULL' | 'NORMAL';
    migrations?: OwnedSchema;
    /** A connection that cannot write (another service reading the owner's data): after the owner's migrations. */
    readonly?: boolean;
  } = {},
): Database.Database {
  if (options.readonly) {
    openSqlite(path, { ...options, readonly: false }).close();
    const db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return db;
  }
  privateDir(dirname(path));
  // SQLite creates -wal, -shm and -journal with the permissions of the database file: a database that
  // exists 0600 before SQLite opens it keeps them private. Side files of an older database are
  // narrowed here, as SQLite reuses them as they are.
  privateFile(path);
  for (const suffix of ['-wal', '-shm', '-journal']) narrowIfExists(`${path}${suffix}`);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  if (options.migrations) {
    try {
      migrate(db, options.migrations.owner, options.migrations.steps);
    } catch (e) {
      db.close();
      throw e;
    }
  }
  return db;
}
