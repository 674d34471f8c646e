/**
 * Opens one of Vigie's SQLite files the same way everywhere: WAL (readers never wait for the writer,
 * several processes may share a file), a busy timeout for those processes, foreign keys on, and the
 * durability the caller asks for (FULL for alarms and alert state, NORMAL for replayable buffers).
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export function openSqlite(
  path: string,
  options: { synchronous?: 'FULL' | 'NORMAL'; schema?: string } = {},
): Database.Database {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
  if (options.schema) db.exec(options.schema);
  return db;
}
