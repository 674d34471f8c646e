/**
 * The registry of patients, their devices and the platform's service accounts, in SQLite (WAL mode,
 * so that other processes may read it). The web service owns it (its pages and the provisioning CLI
 * write it); the broker and the ingest read what they need through web/directory.ts.
 */
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { isDeviceId } from '../devices/topics.ts';
import { IDENTITY_STATUSES, INS_OIDS, type Identity } from '../common/ins.ts';
import type { Migration } from '../common/migrate.ts';
import { normalisePhone } from '../common/phone.ts';
import type { Sex } from '../common/relations.ts';
import { generateSecret, hashSecret } from '../common/secrets.ts';
import { openSqlite } from '../common/sqlite.ts';

export const SERVICE_ROLES = ['ingest', 'web'] as const;
export type ServiceRole = (typeof SERVICE_ROLES)[number];

export interface DeviceRecord {
  readonly id: string;
  readonly patientId: string;
  readonly kind: string;
  readonly secretHash: string;
  readonly revoked: boolean;
}

export interface ServiceRecord {
  readonly username: string;
  readonly role: ServiceRole;
  readonly secretHash: string;
}

export interface Provisioned {
  readonly patientId: string;
  readonly deviceId: string;
  /** Shown once; only its hash is stored. */
  readonly secret: string;
}

export class DuplicateError extends Error {
  override readonly name = 'DuplicateError';
}

/** What the people caring for a patient may know to reach them; both optional. */
export interface PatientContact {
  /** E.164 ("+33612345678"): the relatives' page calls it on a fall or an SOS. */
  readonly phone: string | null;
  /** Administrative sex: the relatives' page says "votre mère" rather than "votre parent". */
  readonly sex: Sex | null;
}

/** Where the patient lives; each part optional but the street. */
export interface PatientAddress {
  readonly street: string;
  readonly postcode: string | null;
  readonly city: string | null;
}

/** The patient's general practitioner ("médecin traitant"). */
export interface PatientGp {
  readonly name: string;
  /** E.164. */
  readonly phone: string | null;
  /** RPPS number (11 digits), when known. */
  readonly rpps: string | null;
}

/** The patient's address and GP (null each when not recorded). */
export interface PatientDetails {
  readonly address: PatientAddress | null;
  readonly gp: PatientGp | null;
}

/** One of a patient's devices, revoked ones included (the history of their watches). */
export interface DeviceListing {
  readonly id: string;
  readonly kind: string;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS patients (
  id TEXT PRIMARY KEY,
  label TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS devices (
  id TEXT PRIMARY KEY,
  patient_id TEXT NOT NULL REFERENCES patients(id),
  kind TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);
CREATE INDEX IF NOT EXISTS devices_patient ON devices(patient_id);
CREATE TABLE IF NOT EXISTS services (
  username TEXT PRIMARY KEY,
  role TEXT NOT NULL,
  secret_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
`;

/** Exported for the migration tests (a database made at an earlier version). */
export const REGISTRY_MIGRATIONS: readonly Migration[] = [
  SCHEMA,
  // How to reach the patient on a fall or an SOS, and how their relatives' page names them.
  `ALTER TABLE patients ADD COLUMN phone TEXT; ALTER TABLE patients ADD COLUMN sex TEXT;`,
  // The identity of the identity-vigilance framework (common/ins.ts); the sex is the column above.
  `ALTER TABLE patients ADD COLUMN birth_name TEXT;
   ALTER TABLE patients ADD COLUMN first_names TEXT;
   ALTER TABLE patients ADD COLUMN used_name TEXT;
   ALTER TABLE patients ADD COLUMN birth_date TEXT;
   ALTER TABLE patients ADD COLUMN birthplace TEXT;
   ALTER TABLE patients ADD COLUMN ins_matricule TEXT;
   ALTER TABLE patients ADD COLUMN ins_key TEXT;
   ALTER TABLE patients ADD COLUMN ins_oid TEXT;
   ALTER TABLE patients ADD COLUMN identity_status TEXT;`,
  // Where the patient lives (home visits, the emergency services) and their GP ("médecin traitant").
  `ALTER TABLE patients ADD COLUMN address_street TEXT;
   ALTER TABLE patients ADD COLUMN address_postcode TEXT;
   ALTER TABLE patients ADD COLUMN address_city TEXT;
   ALTER TABLE patients ADD COLUMN gp_name TEXT;
   ALTER TABLE patients ADD COLUMN gp_phone TEXT;
   ALTER TABLE patients ADD COLUMN gp_rpps TEXT;`,
];

interface DeviceRow {
  id: string;
  patient_id: string;
  kind: string;
  secret_hash: string;
  revoked_at: number | null;
}
interface ServiceRow {
  username: string;
  role: string;
  secret_hash: string;
}

export class Registry {
  readonly #db: Database.Database;
  readonly #getDevice: Database.Statement<[string], DeviceRow>;
  readonly #patientOfDevice = new Map<string, string>();
  readonly #getService: Database.Statement<[string], ServiceRow>;

  private constructor(db: Database.Database) {
    this.#db = db;
    this.#getDevice = db.prepare('SELECT id, patient_id, kind, secret_hash, revoked_at FROM devices WHERE id = ?');
    this.#getService = db.prepare('SELECT username, role, secret_hash FROM services WHERE username = ?');
  }

  /** `readonly`: for another service's directory (web/directory.ts); any write throws. */
  static open(path: string, o: { readonly?: boolean } = {}): Registry {
    return new Registry(
      openSqlite(path, {
        synchronous: 'FULL',
        migrations: { owner: 'registry', steps: REGISTRY_MIGRATIONS },
        readonly: o.readonly ?? false,
      }),
    );
  }

  device(id: string): DeviceRecord | undefined {
    const row = this.#getDevice.get(id);
    return (
      row && {
        id: row.id,
        patientId: row.patient_id,
        kind: row.kind,
        secretHash: row.secret_hash,
        revoked: row.revoked_at !== null,
      }
    );
  }

  service(username: string): ServiceRecord | undefined {
    const row = this.#getService.get(username);
    const role = SERVICE_ROLES.find((r) => r === row?.role);
    return row && role && { username: row.username, role, secretHash: row.secret_hash };
  }

  /**
   * Creates a patient and their watch; returns the watch's secret, which is not stored in clear. A
   * phone number is checked and normalised first (TypeError when it is not one).
   */
  async provisionPatient(
    label: string,
    contact: { phone?: string; sex?: Sex } = {},
    now = Date.now(),
  ): Promise<Provisioned> {
    const phone = contact.phone === undefined ? null : phoneOrThrow(contact.phone);
    const patientId = `p-${randomBytes(6).toString('hex')}`;
    const deviceId = `w-${randomBytes(6).toString('hex')}`;
    const secret = generateSecret();
    const hash = await hashSecret(secret);
    this.#db.transaction(() => {
      this.#db
        .prepare('INSERT INTO patients (id, label, phone, sex, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(patientId, label, phone, contact.sex ?? null, now);
      this.#db
        .prepare('INSERT INTO devices (id, patient_id, kind, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(deviceId, patientId, 'watch', hash, now);
    })();
    return { patientId, deviceId, secret };
  }

  /**
   * Creates a patient without any device (enrol one with addDevice); returns their id. The phone
   * number is checked and normalised (TypeError when it is not one).
   */
  createPatient(label: string, contact: { phone?: string; sex?: Sex } = {}, now = Date.now()): string {
    const phone = contact.phone === undefined ? null : phoneOrThrow(contact.phone);
    const patientId = `p-${randomBytes(6).toString('hex')}`;
    this.#db
      .prepare('INSERT INTO patients (id, label, phone, sex, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(patientId, label, phone, contact.sex ?? null, now);
    return patientId;
  }

  /** Adds a device with a chosen id to an existing patient. */
  async addDevice(patientId: string, deviceId: string, kind = 'watch', now = Date.now()): Promise<Provisioned> {
    if (!isDeviceId(deviceId))
      throw new TypeError(`invalid device id ${JSON.stringify(deviceId)}: 3-64 of a-z, 0-9 and '-'`);
    if (this.device(deviceId)) throw new DuplicateError(`device ${deviceId} already exists`);
    const secret = generateSecret();
    this.#db
      .prepare('INSERT INTO devices (id, patient_id, kind, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(deviceId, patientId, kind, await hashSecret(secret), now);
    return { patientId, deviceId, secret };
  }

  revokeDevice(deviceId: string, now = Date.now()): boolean {
    return (
      this.#db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, deviceId)
        .changes === 1
    );
  }

  /**
   * Enrols a new device for the patient and revokes the old one in one transaction (either both or
   * neither); false (nothing done) when the old one is not an active device of this patient.
   */
  async replaceDevice(
    patientId: string,
    oldId: string,
    newId: string,
    now = Date.now(),
  ): Promise<Provisioned | undefined> {
    if (!isDeviceId(newId)) throw new TypeError(`invalid device id ${JSON.stringify(newId)}: 3-64 of a-z, 0-9 and '-'`);
    const old = this.device(oldId);
    if (!old || old.patientId !== patientId || old.revoked) return undefined;
    if (this.device(newId)) throw new DuplicateError(`device ${newId} already exists`);
    const secret = generateSecret();
    const hash = await hashSecret(secret);
    const done = this.#db.transaction(() => {
      if (
        this.#db.prepare('UPDATE devices SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now, oldId)
          .changes !== 1
      )
        return false;
      this.#db
        .prepare('INSERT INTO devices (id, patient_id, kind, secret_hash, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(newId, patientId, old.kind, hash, now);
      return true;
    })();
    return done ? { patientId, deviceId: newId, secret } : undefined;
  }

  /** The patient's devices, newest first, revoked ones included. */
  devicesOf(patientId: string): DeviceListing[] {
    return this.#db
      .prepare<[string], { id: string; kind: string; created_at: number; revoked_at: number | null }>(
        'SELECT id, kind, created_at, revoked_at FROM devices WHERE patient_id = ? ORDER BY created_at DESC, id',
      )
      .all(patientId)
      .map((r) => ({ id: r.id, kind: r.kind, createdAt: r.created_at, revokedAt: r.revoked_at }));
  }

  /** The devices revoked at or after `since` (the broker disconnects those still connected). */
  revokedSince(since: number): string[] {
    return this.#db
      .prepare<[number], { id: string }>('SELECT id FROM devices WHERE revoked_at >= ?')
      .all(since)
      .map((r) => r.id);
  }

  /** Creates or replaces a service account and returns its new secret. */
  async setService(username: string, role: ServiceRole, now = Date.now()): Promise<string> {
    const secret = generateSecret();
    this.#db
      .prepare(
        'INSERT INTO services (username, role, secret_hash, created_at) VALUES (?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET role = excluded.role, secret_hash = excluded.secret_hash',
      )
      .run(username, role, await hashSecret(secret), now);
    return secret;
  }

  hasPatient(patientId: string): boolean {
    return this.#db.prepare('SELECT 1 FROM patients WHERE id = ?').get(patientId) !== undefined;
  }

  patientIds(): string[] {
    return this.#db
      .prepare<[], { id: string }>('SELECT id FROM patients ORDER BY id')
      .all()
      .map((r) => r.id);
  }

  /** The patient's display name (shown to the people who care for them; never logged). */
  patientLabel(patientId: string): string | undefined {
    return this.#db.prepare<[string], { label: string }>('SELECT label FROM patients WHERE id = ?').get(patientId)
      ?.label;
  }

  /** The patient's phone number and sex (null each when not given; undefined for an unknown patient). */
  patientContact(patientId: string): PatientContact | undefined {
    const row = this.#db
      .prepare<[string], { phone: string | null; sex: string | null }>('SELECT phone, sex FROM patients WHERE id = ?')
      .get(patientId);
    return row && { phone: row.phone, sex: row.sex === 'female' || row.sex === 'male' ? row.sex : null };
  }

  /** Sets or clears (null) a patient's phone number or sex; false for an unknown patient. */
  setPatientContact(patientId: string, contact: { phone?: string | null; sex?: Sex | null }): boolean {
    const current = this.patientContact(patientId);
    if (!current) return false;
    const phone = contact.phone === undefined ? current.phone : contact.phone && phoneOrThrow(contact.phone);
    const sex = contact.sex === undefined ? current.sex : contact.sex;
    this.#db.prepare('UPDATE patients SET phone = ?, sex = ? WHERE id = ?').run(phone, sex, patientId);
    return true;
  }

  /** The patient's address and GP; undefined for an unknown patient. */
  patientDetails(patientId: string): PatientDetails | undefined {
    const row = this.#db
      .prepare<[string], DetailsRow>(
        'SELECT address_street, address_postcode, address_city, gp_name, gp_phone, gp_rpps FROM patients WHERE id = ?',
      )
      .get(patientId);
    return (
      row && {
        address: row.address_street
          ? { street: row.address_street, postcode: row.address_postcode, city: row.address_city }
          : null,
        gp: row.gp_name ? { name: row.gp_name, phone: row.gp_phone, rpps: row.gp_rpps } : null,
      }
    );
  }

  /** Records (null: clears) the patient's address and GP; the GP's phone is checked (TypeError); false for an unknown patient. */
  setPatientDetails(patientId: string, details: PatientDetails): boolean {
    const { address: a, gp } = details;
    const gpPhone = gp?.phone ? phoneOrThrow(gp.phone) : null;
    return (
      this.#db
        .prepare(
          `UPDATE patients SET address_street = ?, address_postcode = ?, address_city = ?, gp_name = ?, gp_phone = ?,
           gp_rpps = ? WHERE id = ?`,
        )
        .run(
          a?.street ?? null,
          a?.postcode ?? null,
          a?.city ?? null,
          gp?.name ?? null,
          gpPhone,
          gp?.rpps ?? null,
          patientId,
        ).changes === 1
    );
  }

  /**
   * The patient's identity (traits, INS, status); null when none was recorded, undefined for an
   * unknown patient. Never logged.
   */
  patientIdentity(patientId: string): Identity | null | undefined {
    const row = this.#db
      .prepare<[string], IdentityRow>(`SELECT ${IDENTITY_COLUMNS} FROM patients WHERE id = ?`)
      .get(patientId);
    return row && identityOf(row);
  }

  /** Records a checked identity (common/ins.ts's parseIdentity), its sex included; false for an unknown patient. */
  setPatientIdentity(patientId: string, identity: Identity): boolean {
    const { traits: t, ins, status } = identity;
    return (
      this.#db
        .prepare(
          `UPDATE patients SET birth_name = ?, first_names = ?, used_name = ?, birth_date = ?, sex = ?, birthplace = ?,
           ins_matricule = ?, ins_key = ?, ins_oid = ?, identity_status = ? WHERE id = ?`,
        )
        .run(
          t.birthName,
          t.firstNames,
          t.usedName,
          t.birthDate,
          t.sex,
          t.birthplace,
          ins?.matricule ?? null,
          ins?.key ?? null,
          ins?.oid ?? null,
          status,
          patientId,
        ).changes === 1
    );
  }

  /**
   * The patient a device belongs to. Remembered: a device is provisioned for one patient and never
   * moves (revoking it keeps the link; the broker refuses its connections), and the ingest and the
   * web service ask for every message.
   */
  patientOf(deviceId: string): string | undefined {
    const known = this.#patientOfDevice.get(deviceId);
    if (known) return known;
    const patient = this.#getDevice.get(deviceId)?.patient_id;
    if (patient) {
      if (this.#patientOfDevice.size >= 100_000) this.#patientOfDevice.clear();
      this.#patientOfDevice.set(deviceId, patient);
    }
    return patient;
  }

  close(): void {
    this.#db.close();
  }
}

const IDENTITY_COLUMNS =
  'birth_name, first_names, used_name, birth_date, sex, birthplace, ins_matricule, ins_key, ins_oid, identity_status';
interface DetailsRow {
  address_street: string | null;
  address_postcode: string | null;
  address_city: string | null;
  gp_name: string | null;
  gp_phone: string | null;
  gp_rpps: string | null;
}
interface IdentityRow {
  birth_name: string | null;
  first_names: string | null;
  used_name: string | null;
  birth_date: string | null;
  sex: string | null;
  birthplace: string | null;
  ins_matricule: string | null;
  ins_key: string | null;
  ins_oid: string | null;
  identity_status: string | null;
}

/** A row back to an identity; a row this code did not write (a status or OID it does not know) reads as none. */
function identityOf(row: IdentityRow): Identity | null {
  const status = IDENTITY_STATUSES.find((s) => s === row.identity_status);
  const sex = row.sex === 'female' || row.sex === 'male' ? row.sex : undefined;
  if (!status || !sex || row.birth_name === null || row.first_names === null || row.birth_date === null) return null;
  const oid = Object.values(INS_OIDS).find((o) => o === row.ins_oid);
  return {
    traits: {
      birthName: row.birth_name,
      firstNames: row.first_names,
      usedName: row.used_name,
      birthDate: row.birth_date,
      sex,
      birthplace: row.birthplace,
    },
    ins: oid && row.ins_matricule && row.ins_key ? { matricule: row.ins_matricule, key: row.ins_key, oid } : null,
    status,
  };
}

function phoneOrThrow(input: string): string {
  const phone = normalisePhone(input);
  if (!phone.ok) throw new TypeError(`invalid phone number ${JSON.stringify(input)}: E.164 (+33…) or French (06…)`);
  return phone.value;
}
