/**
 * A consistent copy of Vigie's data while the services run: every SQLite file under the data folder
 * through SQLite's online backup API (each copy is one consistent state of its file, whatever the
 * services write meanwhile), then the segments of the ingest's queue log (the readings not yet in
 * InfluxDB, ingest/append-log.ts), and InfluxDB's data through `influxd backup -portable`, into a new
 * timestamped folder. See README, "Backup and restore".
 *
 * The segments are copied after the queue's SQLite file, which says which of their records were
 * already written to InfluxDB: a segment deleted in between held only written records (in InfluxDB's
 * copy, made last); records appended in between are extra, and written again (InfluxDB keeps one
 * point per series and time); a record being appended during the copy is cut short in it, and left
 * out when the queue is opened (its readings were not acknowledged before the copy began).
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { chmodSync, copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { openSqlite } from '../../common/sqlite.ts';
import { PRIVATE_FILE_MODE, privateDir, privateFile, writePrivateFile } from '../../common/private-files.ts';

export interface BackupOptions {
  /** VIGIE_DATA_DIR: its SQLite files (`*.db`, at any depth) are copied. */
  readonly dataDir: string;
  /** The folder that receives one timestamped folder per backup. */
  readonly to: string;
  /** influxd's RPC address (its top-level `bind-address`), or none to skip InfluxDB. */
  readonly influx?: { readonly address: string; readonly binary?: string };
  readonly now?: Date;
}

export interface SqliteCopy {
  /** Path relative to the data folder, and to the backup's `sqlite/` folder. */
  readonly file: string;
  readonly bytes: number;
  /** Each owner's schema version in the copy (schema_migrations). */
  readonly versions: Readonly<Record<string, number>>;
}

export interface BackupReport {
  readonly folder: string;
  readonly sqlite: readonly SqliteCopy[];
  /** The queue log's segments (`*.seg`), relative to the data folder and to the backup's `segments/`. */
  readonly segments: ReadonlyArray<{ readonly file: string; readonly bytes: number }>;
  /** The folder of InfluxDB's portable backup, or null when skipped. */
  readonly influx: string | null;
}

export class BackupError extends Error {
  override readonly name = 'BackupError';
}

/** The folder InfluxDB's data lives in under the data folder (demo): not SQLite, copied by influxd. */
export const INFLUX_FOLDER = 'influxdb';

/** influxd's RPC address from the config file the demo's influxd runs with (its top-level `bind-address`). */
export function influxdRpcAddress(configText: string): string | undefined {
  const top = configText.split(/^\[/m)[0] ?? '';
  return /^bind-address\s*=\s*"([^"]+)"/m.exec(top)?.[1];
}

export async function backup(options: BackupOptions): Promise<BackupReport> {
  const inside = relative(options.dataDir, options.to);
  if (!inside.startsWith('..') && !isAbsolute(inside)) {
    throw new BackupError(`${options.to} is inside the data folder ${options.dataDir}: backups go elsewhere`);
  }
  const files = filesEnding(options.dataDir, '.db');
  if (files.length === 0) {
    throw new BackupError(`no SQLite database (*.db) in ${options.dataDir}: is VIGIE_DATA_DIR the services' folder?`);
  }
  const stamp = (options.now ?? new Date()).toISOString().replace(/[:.]/g, '-');
  const folder = join(options.to, stamp);
  if (existsSync(folder)) throw new BackupError(`${folder} already exists: a backup is never written over another`);
  privateDir(folder);
  const sqlite: SqliteCopy[] = [];
  for (const file of files)
    sqlite.push(await copySqlite(join(options.dataDir, file), join(folder, 'sqlite', file), file));
  const segments: Array<{ file: string; bytes: number }> = [];
  for (const file of filesEnding(options.dataDir, '.seg')) {
    const target = join(folder, 'segments', file);
    privateDir(dirname(target));
    try {
      copyFileSync(join(options.dataDir, file), target);
    } catch (e) {
      if (e instanceof Error && 'code' in e && e.code === 'ENOENT') continue; // all its records written meanwhile
      throw e;
    }
    chmodSync(target, PRIVATE_FILE_MODE);
    segments.push({ file, bytes: statSync(target).size });
  }
  let influx: string | null = null;
  if (options.influx) {
    influx = join(folder, 'influxdb');
    privateDir(influx);
    await influxBackup(options.influx.binary ?? '/usr/bin/influxd', options.influx.address, influx);
  }
  const report: BackupReport = { folder, sqlite, segments, influx };
  writePrivateFile(join(folder, 'manifest.json'), `${JSON.stringify({ at: stamp, ...report }, null, 2)}\n`);
  return report;
}

/** The files under the data folder (InfluxDB's apart) whose names end so, relative to it. */
function filesEnding(dataDir: string, suffix: string): string[] {
  if (!existsSync(dataDir)) throw new BackupError(`${dataDir} does not exist: is VIGIE_DATA_DIR the services' folder?`);
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !(dir === dataDir && entry.name === INFLUX_FOLDER)) walk(path);
      else if (entry.isFile() && entry.name.endsWith(suffix)) found.push(relative(dataDir, path));
    }
  };
  walk(dataDir);
  return found.sort();
}

async function copySqlite(source: string, target: string, file: string): Promise<SqliteCopy> {
  privateDir(dirname(target));
  privateFile(target);
  // Opened as the services open it (WAL), without running any migration: the copy is the file as it is.
  try {
    const db = openSqlite(source);
    try {
      await db.backup(target);
    } finally {
      db.close();
    }
  } catch (e) {
    throw new BackupError(`${file}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const copy = new Database(target, { fileMustExist: true });
  try {
    // One self-contained file, without -wal and -shm beside it: the services turn WAL on again when they open it.
    copy.pragma('journal_mode = DELETE');
    const check = copy.pragma('integrity_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`${file}: the copy fails SQLite's integrity check: ${String(check)}`);
    const hasVersions = copy
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    const versions = hasVersions
      ? Object.fromEntries(
          copy
            .prepare<[], { owner: string; version: number }>(
              'SELECT owner, version FROM schema_migrations ORDER BY owner',
            )
            .all()
            .map((r) => [r.owner, r.version]),
        )
      : {};
    return { file, bytes: statSync(target).size, versions };
  } finally {
    copy.close();
  }
}

async function influxBackup(binary: string, address: string, folder: string): Promise<void> {
  // influxd backup retries a refused connection for about 20 s before it gives up: ask once first.
  await new Promise<void>((resolve, reject) => {
    const [host = '', port = ''] = address.split(/:(?=\d+$)/);
    const socket = connect({ host, port: Number(port), timeout: 10_000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    const refuse = (why: string) => {
      socket.destroy();
      reject(new BackupError(`influxd backup from ${address} failed: ${why} (is it influxd's bind-address?)`));
    };
    socket.once('timeout', () => refuse('no answer within 10 s'));
    socket.once('error', (e) => refuse(e.message));
  });
  try {
    await promisify(execFile)(binary, ['backup', '-portable', '-host', address, folder]);
  } catch (e) {
    const detail = e instanceof Error && 'stderr' in e ? String(e.stderr).trim().split('\n').slice(-2).join(' | ') : '';
    throw new BackupError(
      `influxd backup from ${address} failed: ${detail || (e instanceof Error ? e.message : String(e))}`,
      { cause: e },
    );
  }
}
