/**
 * A patient's alert settings, chosen by a clinician: threshold overrides (by rule id), NEWS2's SpO2
 * scale and oxygen, the fall window, the stale-data and offline delays, the low-battery level.
 * Stored in the registry's SQLite file (the web service writes, the ingest reads); what is not set
 * keeps the defaults of ingest/rules.
 */
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { openSqlite } from './sqlite.ts';

const sustain = z.union([
  z.strictObject({ seconds: z.number().int().min(1).max(3600) }),
  z.strictObject({ readings: z.number().int().min(1).max(20) }),
]);

export const thresholdOverrideSchema = z.strictObject({
  limit: z.number().finite().optional(),
  hysteresis: z.number().finite().min(0).optional(),
  sustain: sustain.optional(),
  priority: z.enum(['high', 'medium', 'low']).optional(),
  enabled: z.boolean().optional(),
});

export const patientSettingsSchema = z.strictObject({
  thresholds: z.record(z.string().regex(/^[a-z0-9-]{1,40}$/, 'a rule id'), thresholdOverrideSchema).default({}),
  spo2Scale: z.union([z.literal(1), z.literal(2)]).default(1),
  onOxygen: z.boolean().default(false),
  /** Time to say "I'm OK" after a fall: long enough to answer, short enough to matter. */
  fallWindowSeconds: z.number().int().min(15).max(300).optional(),
  staleAfterMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  offlineAfterMinutes: z
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .optional(),
  lowBatteryPercent: z.number().int().min(5).max(50).optional(),
});
export type PatientSettings = z.infer<typeof patientSettingsSchema>;

export class PatientSettingsStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  static open(path: string): PatientSettingsStore {
    return new PatientSettingsStore(
      openSqlite(path, {
        schema:
          'CREATE TABLE IF NOT EXISTS patient_settings (patient_id TEXT PRIMARY KEY, settings TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at INTEGER NOT NULL)',
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
