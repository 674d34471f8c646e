/**
 * Alarm events (fall, SOS) stored durably as alerts before the watch's message is acknowledged.
 * The alert engine (rules, escalation) builds on this store.
 */
import type Database from 'better-sqlite3';
import type { DeviceEvent } from '../devices/payloads.ts';
import type { Identity } from './schema.ts';
import type { Migration } from '../common/migrate.ts';
import { openSqlite } from '../common/sqlite.ts';

export interface StoredAlert {
  readonly deviceId: string;
  readonly patientId: string;
  readonly seq: number;
  readonly type: string;
  readonly ts: number;
  readonly confidence: number | null;
  readonly receivedAt: number;
}

interface Row {
  device_id: string;
  patient_id: string;
  seq: number;
  type: string;
  ts: number;
  confidence: number | null;
  received_at: number;
}

/** Exported for the upgrade tests. */
export const ALARM_LOG_MIGRATIONS: readonly Migration[] = [
  `CREATE TABLE IF NOT EXISTS alerts (
    device_id TEXT NOT NULL, patient_id TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL,
    ts INTEGER NOT NULL, confidence REAL, received_at INTEGER NOT NULL,
    PRIMARY KEY (device_id, seq)
  )`,
];

export class AlertStore {
  readonly #db: Database.Database;
  readonly #insert: Database.Statement<[string, string, number, string, number, number | null, number]>;

  constructor(path: string) {
    // FULL: an acknowledged alarm survives even a power loss.
    this.#db = openSqlite(path, {
      synchronous: 'FULL',
      migrations: { owner: 'alarm-log', steps: ALARM_LOG_MIGRATIONS },
    });
    this.#insert = this.#db.prepare(
      'INSERT OR IGNORE INTO alerts (device_id, patient_id, seq, type, ts, confidence, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Stores the alert; false if this (device, seq) was already stored. Durable when it returns. */
  record(id: Identity, event: DeviceEvent, receivedAt: number): boolean {
    const confidence = event.type === 'fall' ? (event.confidence ?? null) : null;
    return (
      this.#insert.run(id.device, id.patient, event.seq, event.type, event.ts, confidence, receivedAt).changes === 1
    );
  }

  list(limit = 100): StoredAlert[] {
    return this.#db
      .prepare<[number], Row>('SELECT * FROM alerts ORDER BY received_at DESC LIMIT ?')
      .all(limit)
      .map((r) => ({
        deviceId: r.device_id,
        patientId: r.patient_id,
        seq: r.seq,
        type: r.type,
        ts: r.ts,
        confidence: r.confidence,
        receivedAt: r.received_at,
      }));
  }

  close(): void {
    this.#db.close();
  }
}
