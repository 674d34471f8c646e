/**
 * A patient's alert settings, chosen by a clinician: threshold overrides (by rule id), NEWS2's SpO2
 * scale and oxygen, the fall window, the stale-data and offline delays, the low-battery level.
 * Stored in the registry's SQLite file (the web service writes, the ingest reads); what is not set
 * keeps the defaults of ingest/rules.
 */
import type Database from 'better-sqlite3';
import type { Migration } from '../common/migrate.ts';
import { patientSettingsSchema, type PatientSettings } from '../common/patient-settings-schema.ts';
import { openSqlite } from '../common/sqlite.ts';

export {
  patientSettingsSchema,
  thresholdOverrideSchema,
  type PatientSettings,
} from '../common/patient-settings-schema.ts';

/** Exported for the upgrade tests. */
export const PATIENT_SETTINGS_MIGRATIONS: readonly Migration[] = [
  'CREATE TABLE IF NOT EXISTS patient_settings (patient_id TEXT PRIMARY KEY, settings TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at INTEGER NOT NULL)',
];

export class PatientSettingsStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** `readonly`: for another service's directory (web/directory.ts); any write throws. */
  static open(path: string, o: { readonly?: boolean } = {}): PatientSettingsStore {
    return new PatientSettingsStore(
      openSqlite(path, {
        migrations: { owner: 'patient-settings', steps: PATIENT_SETTINGS_MIGRATIONS },
        readonly: o.readonly ?? false,
      }),
    );
  }

  get(patientId: string): PatientSettings | undefined {
    const row = this.#db
      .prepare<[string], { settings: string }>('SELECT settings FROM patient_settings WHERE patient_id = ?')
      .get(patientId);
    if (!row) return undefined;
    const parsed = patientSettingsSchema.safeParse(JSON.parse(row.settings));
    return parsed.success ? parsed.data : undefined;
  }

  set(patientId: string, settings: PatientSettings, by: string, now = Date.now()): void {
    this.#db
      .prepare(
        'INSERT INTO patient_settings (patient_id, settings, updated_by, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET settings = excluded.settings, updated_by = excluded.updated_by, updated_at = excluded.updated_at',
      )
      .run(patientId, JSON.stringify(patientSettingsSchema.parse(settings)), by, now);
  }

  /** Changes whenever another connection (another process) commits to the file: for caches. */
  version(): number {
    return this.#db.pragma('data_version', { simple: true }) as number;
  }

  close(): void {
    this.#db.close();
  }
}
