/**
 * The people around a patient: accounts (family and staff) with hashed passwords, who may see which
 * patient and what (care links with the patient's consent), care teams, each patient's escalation
 * chain, invitations, sign-in sessions and Web Push subscriptions. In the registry's SQLite file,
 * which the web service owns; the ingest reads what it escalates with through web/directory.ts.
 */
import type Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { VigieError, type ErrorCode, type ErrorParams } from '../common/errors.ts';
import type { Migration } from '../common/migrate.ts';
import {
  firstPassword,
  hashPassword,
  PASSWORD_PARAMS,
  unmatchableHash,
  verifyPassword,
  type ScryptWork,
} from '../common/secrets.ts';
import { openSqlite } from '../common/sqlite.ts';
import { isRelation, relationFromText, type Relation } from '../common/relations.ts';

import {
  LANGS,
  MAX_NOTE_LENGTH,
  MIN_PASSWORD_LENGTH,
  ROLES,
  RPPS_PATTERN,
  STAFF_ROLES,
  isStaff,
  type Lang,
  type Role,
  type StaffRole,
} from '../common/people-rules.ts';

/** `patient` (a role of people-rules.ts): the senior themself, who follows their own page and invites their relatives. */
export { LANGS, MAX_NOTE_LENGTH, MIN_PASSWORD_LENGTH, ROLES, isStaff, type Lang, type Role };

export interface Person {
  readonly id: string;
  readonly role: Role;
  readonly name: string;
  readonly email: string | null;
  readonly lang: Lang;
}

/** A care team as a list names it. */
export interface TeamRef {
  readonly id: string;
  readonly name: string;
}

export interface CareLink {
  readonly personId: string;
  readonly patientId: string;
  /** Who the person is for the patient (common/relations.ts). */
  readonly relation: Relation;
  /** What was typed for a relation of code `other` ("infirmière de garde"), shown as it is. */
  readonly relationText: string | null;
  /** The patient consents to this person seeing their vital signs. */
  readonly shareVitals: boolean;
  /**
   * The patient's own account (made from an invitation of role `patient`): the senior themself, who
   * invites their relatives and pairs their Bluetooth devices. Never inferred from `relation`.
   */
  readonly self: boolean;
  /**
   * The patient lets this relative download all their data for them (their page's "download my
   * data"). The patient alone decides it, on their own page; off until they say so.
   */
  readonly mayDownload: boolean;
}

export interface EscalationStep {
  readonly personId: string;
  /** Wait after the previous step before this one is notified (0 for the first). */
  readonly delayMs: number;
}

export interface EscalationChain {
  readonly patientId: string;
  readonly steps: readonly EscalationStep[];
  /** After someone accepts, how long until their arrival must be confirmed before escalating again. */
  readonly arrivalTimeoutMs: number;
}

export interface PushSubscriptionRecord {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

export interface Invitation {
  readonly patientId: string;
  readonly name: string;
  readonly email: string;
  readonly relation: Relation;
  readonly relationText: string | null;
  readonly shareVitals: boolean;
  readonly invitedBy: string;
  /** The account it creates: a relative (default) or the patient themself. */
  readonly role: 'family' | 'patient';
  readonly expiresAt: number;
}

/** An invitation waiting to be accepted, named by its id (never by its token). */
export interface PendingInvitation extends Invitation {
  readonly id: string;
}

export interface CoordinationNote {
  readonly id: number;
  readonly authorId: string;
  readonly author: string;
  readonly role: string;
  readonly text: string;
  readonly at: number;
  /** The alert this note closed (its resolution note), or null. */
  readonly closes: ClosedAlertRef | null;
}

/** Which alert a closing note closed: enough to name it without asking the alert service. */
export interface ClosedAlertRef {
  readonly id: number;
  readonly kind: string;
  readonly openedAt: number;
}

export class PeopleError extends VigieError {
  override readonly name = 'PeopleError';
  constructor(code: ErrorCode, message: string, params: ErrorParams = {}) {
    super(code, message, params);
  }
}

export const DEFAULT_ARRIVAL_TIMEOUT_MS = 30 * 60_000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS people (
  id TEXT PRIMARY KEY, role TEXT NOT NULL, name TEXT NOT NULL, email TEXT UNIQUE COLLATE NOCASE,
  lang TEXT NOT NULL DEFAULT 'fr', password_hash TEXT, created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS care_links (
  person_id TEXT NOT NULL REFERENCES people(id), patient_id TEXT NOT NULL,
  relation TEXT NOT NULL, share_vitals INTEGER NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (person_id, patient_id)
);
CREATE INDEX IF NOT EXISTS care_links_patient ON care_links(patient_id);
CREATE TABLE IF NOT EXISTS escalation_chains (
  patient_id TEXT PRIMARY KEY, steps TEXT NOT NULL, arrival_timeout_ms INTEGER NOT NULL, updated_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS invitations (
  token_hash TEXT PRIMARY KEY, patient_id TEXT NOT NULL, name TEXT NOT NULL, email TEXT NOT NULL,
  relation TEXT NOT NULL, share_vitals INTEGER NOT NULL, invited_by TEXT NOT NULL,
  expires_at INTEGER NOT NULL, used_at INTEGER, role TEXT NOT NULL DEFAULT 'family'
);
CREATE TABLE IF NOT EXISTS sessions (
  token_hash TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES people(id), expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS care_teams (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS team_members (team_id TEXT NOT NULL REFERENCES care_teams(id), person_id TEXT NOT NULL REFERENCES people(id), PRIMARY KEY (team_id, person_id));
CREATE TABLE IF NOT EXISTS team_patients (team_id TEXT NOT NULL REFERENCES care_teams(id), patient_id TEXT NOT NULL, PRIMARY KEY (team_id, patient_id));
CREATE INDEX IF NOT EXISTS team_patients_patient ON team_patients(patient_id);
CREATE TABLE IF NOT EXISTS coordination_notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, author_id TEXT NOT NULL REFERENCES people(id), text TEXT NOT NULL, at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS coordination_notes_patient ON coordination_notes(patient_id, id);
CREATE TABLE IF NOT EXISTS push_subscriptions (
  endpoint TEXT PRIMARY KEY, person_id TEXT NOT NULL REFERENCES people(id), p256dh TEXT NOT NULL, auth TEXT NOT NULL, created_at INTEGER NOT NULL
);
`;

/** Exported for the migration tests (a database made at an earlier version). */
export const PEOPLE_MIGRATIONS: readonly Migration[] = [
  SCHEMA,
  // The patient's own account is marked on its care link, from the invitation's role, so that what it
  // may do (invite relatives, pair devices) never depends on the free-text relation.
  `ALTER TABLE care_links ADD COLUMN self INTEGER NOT NULL DEFAULT 0;
   UPDATE care_links SET self = 1 WHERE relation = 'self' AND person_id IN (SELECT id FROM people WHERE role = 'patient');`,
  // Personal API tokens: tied to one member of the care team, with their access, short-lived, revocable.
  `CREATE TABLE api_tokens (
     id TEXT PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE, person_id TEXT NOT NULL REFERENCES people(id),
     label TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, revoked_at INTEGER, last_used_at INTEGER
   );
   CREATE INDEX api_tokens_person ON api_tokens(person_id);`,
  // A note may be the closing note of an alert: the log says which one it closed.
  `ALTER TABLE coordination_notes ADD COLUMN closes_alert_id INTEGER;
   ALTER TABLE coordination_notes ADD COLUMN closes_alert_kind TEXT;
   ALTER TABLE coordination_notes ADD COLUMN closes_alert_opened_at INTEGER;`,
  // The relation becomes a code of a fixed list (each page says it in its language, from its reader's
  // side); what was typed before is mapped to its code where recognisable, else kept as the text of `other`.
  (db) => {
    db.exec(
      'ALTER TABLE care_links ADD COLUMN relation_text TEXT; ALTER TABLE invitations ADD COLUMN relation_text TEXT;',
    );
    for (const table of ['care_links', 'invitations'] as const) {
      const update = db.prepare(`UPDATE ${table} SET relation = ?, relation_text = ? WHERE rowid = ?`);
      for (const row of db
        .prepare<[], { rowid: number; relation: string }>(`SELECT rowid, relation FROM ${table}`)
        .all()) {
        const { relation, text } = relationFromText(row.relation);
        update.run(relation, text, row.rowid);
      }
    }
  },
  // `invitations.role` was added to step 1's text instead of being a step: a file made before it lacks
  // the column. The invitations of that time were all for relatives.
  (db) => {
    const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('invitations')").all();
    if (!columns.some((c) => c.name === 'role'))
      db.exec("ALTER TABLE invitations ADD COLUMN role TEXT NOT NULL DEFAULT 'family'");
  },
  // A professional's national identifier (RPPS, Pro Santé Connect's SubjectNameID): they sign in with PSC.
  `ALTER TABLE people ADD COLUMN rpps TEXT;
   CREATE UNIQUE INDEX people_rpps ON people(rpps) WHERE rpps IS NOT NULL;`,
  // The staff roles an admin requires to sign in with Pro Santé Connect (no password sign-in for them).
  `CREATE TABLE psc_required_roles (role TEXT PRIMARY KEY, set_by TEXT NOT NULL REFERENCES people(id), set_at INTEGER NOT NULL);`,
  // Who read which patient's record (web/record-reads.ts): identical reads close together are one row
  // with a count; rows older than the retention are purged by the web service.
  `CREATE TABLE record_reads (
     id INTEGER PRIMARY KEY AUTOINCREMENT, patient_id TEXT NOT NULL, person_id TEXT NOT NULL, what TEXT NOT NULL,
     channel TEXT NOT NULL, address TEXT NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, count INTEGER NOT NULL
   );
   CREATE INDEX record_reads_patient ON record_reads(patient_id, id);
   CREATE INDEX record_reads_person ON record_reads(person_id, id);
   CREATE INDEX record_reads_last ON record_reads(last_at);`,
  // Every change made to the organisation's set-up (web/change-log.ts): who, what, when, for which patient.
  `CREATE TABLE changes (
     id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, actor_id TEXT NOT NULL, patient_id TEXT,
     action TEXT NOT NULL, detail TEXT NOT NULL
   );
   CREATE INDEX changes_patient ON changes(patient_id, id);
   CREATE INDEX changes_actor ON changes(actor_id, id);`,
  // An administrator may disable a staff account (it can no longer sign in; nothing is deleted) and enable it again.
  `ALTER TABLE people ADD COLUMN disabled_at INTEGER;`,
  // Pending invitations are listed and may be cancelled by the care team: each gets an id to name it by
  // (not its token's hash), and a cancelled one keeps who cancelled it and when.
  `ALTER TABLE invitations ADD COLUMN id TEXT;
   UPDATE invitations SET id = 'i-' || lower(hex(randomblob(6))) WHERE id IS NULL;
   CREATE UNIQUE INDEX invitations_id ON invitations(id);
   CREATE INDEX invitations_patient ON invitations(patient_id, expires_at);
   ALTER TABLE invitations ADD COLUMN revoked_at INTEGER;
   ALTER TABLE invitations ADD COLUMN revoked_by TEXT;`,
  // Scheduled teleconsultations (web/appointments.ts): a clinician books one with a patient for a time;
  // a cancelled one keeps who cancelled it and when.
  `CREATE TABLE appointments (
     id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, clinician_id TEXT NOT NULL REFERENCES people(id),
     starts_at INTEGER NOT NULL, minutes INTEGER NOT NULL, invite_family INTEGER NOT NULL, reason TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'done')),
     booked_by TEXT NOT NULL, booked_at INTEGER NOT NULL, cancelled_by TEXT, cancelled_at INTEGER
   );
   CREATE INDEX appointments_patient ON appointments(patient_id, starts_at);
   CREATE INDEX appointments_clinician ON appointments(clinician_id, starts_at);`,
  // Teleconsultations' consents and reports (web/reports.ts): a report's signed versions are kept, an
  // amendment adds one and never overwrites the one before.
  `CREATE TABLE consents (
     id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, room_id TEXT NOT NULL, given_by TEXT NOT NULL,
     representative TEXT, method TEXT NOT NULL, given_at INTEGER NOT NULL, recorded_by TEXT NOT NULL,
     recorded_at INTEGER NOT NULL
   );
   CREATE INDEX consents_room ON consents(room_id, recorded_at);
   CREATE TABLE reports (
     id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, room_id TEXT NOT NULL UNIQUE, status TEXT NOT NULL,
     content TEXT NOT NULL, author_id TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
   );
   CREATE INDEX reports_patient ON reports(patient_id, created_at);
   CREATE TABLE report_versions (
     report_id TEXT NOT NULL REFERENCES reports(id), version INTEGER NOT NULL, content TEXT NOT NULL,
     signed_by TEXT NOT NULL, signer_name TEXT NOT NULL, signed_at INTEGER NOT NULL, reason TEXT,
     PRIMARY KEY (report_id, version)
   );`,
  // Teleconsultations held (web/reports.ts): which room, for which patient, opened by which clinician,
  // when, and until when its links are good; the FHIR Encounters (web/fhir/encounter.ts) read them.
  `CREATE TABLE consultations (
     room_id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, clinician_id TEXT NOT NULL, started_at INTEGER NOT NULL,
     expires_at INTEGER NOT NULL, invite_family INTEGER NOT NULL
   );
   CREATE INDEX consultations_patient ON consultations(patient_id, started_at);`,
  // A relative may download the patient's data for them only when the patient allows it (off by default).
  `ALTER TABLE care_links ADD COLUMN may_download INTEGER NOT NULL DEFAULT 0;`,
  // Scheduled teleconsultations that end (web/appointments.ts): `missed` joins the statuses (SQLite
  // cannot widen a CHECK in place, so the table is rebuilt), the outcome keeps when and why it was
  // settled, and each reminder (web/appointment-reminders.ts) keeps when it was sent, so that a restart
  // neither loses nor repeats one.
  `CREATE TABLE appointments_new (
     id TEXT PRIMARY KEY, patient_id TEXT NOT NULL, clinician_id TEXT NOT NULL REFERENCES people(id),
     starts_at INTEGER NOT NULL, minutes INTEGER NOT NULL, invite_family INTEGER NOT NULL, reason TEXT NOT NULL,
     status TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'done', 'missed')),
     booked_by TEXT NOT NULL, booked_at INTEGER NOT NULL, cancelled_by TEXT, cancelled_at INTEGER,
     settled_at INTEGER, reminded_day_at INTEGER, reminded_soon_at INTEGER
   );
   INSERT INTO appointments_new (id, patient_id, clinician_id, starts_at, minutes, invite_family, reason, status,
       booked_by, booked_at, cancelled_by, cancelled_at)
     SELECT id, patient_id, clinician_id, starts_at, minutes, invite_family, reason, status, booked_by, booked_at,
       cancelled_by, cancelled_at FROM appointments;
   DROP TABLE appointments;
   ALTER TABLE appointments_new RENAME TO appointments;
   CREATE INDEX appointments_patient ON appointments(patient_id, starts_at);
   CREATE INDEX appointments_clinician ON appointments(clinician_id, starts_at);
   CREATE INDEX appointments_pending ON appointments(status, starts_at);`,
  // External systems an admin registered for the FHIR API (web/systems.ts, SMART Backend Services):
  // their public keys, the scopes and care teams they may read, their short-lived access tokens
  // (hashed), and the assertion ids (jti) already used, kept until the assertion expires. A record read
  // (web/record-reads.ts) names its reader: a person, or since this step a system (`person_id` then
  // holds the system's id).
  `CREATE TABLE external_systems (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, jwks TEXT NOT NULL, scopes TEXT NOT NULL,
     created_by TEXT NOT NULL, created_at INTEGER NOT NULL, last_used_at INTEGER, revoked_at INTEGER, revoked_by TEXT
   );
   CREATE TABLE external_system_teams (
     system_id TEXT NOT NULL REFERENCES external_systems(id), team_id TEXT NOT NULL REFERENCES care_teams(id),
     PRIMARY KEY (system_id, team_id)
   );
   CREATE TABLE system_tokens (
     token_hash TEXT PRIMARY KEY, system_id TEXT NOT NULL REFERENCES external_systems(id), scopes TEXT NOT NULL,
     issued_at INTEGER NOT NULL, expires_at INTEGER NOT NULL
   );
   CREATE INDEX system_tokens_expiry ON system_tokens(expires_at);
   CREATE TABLE system_assertions (
     system_id TEXT NOT NULL, jti TEXT NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (system_id, jti)
   );
   CREATE INDEX system_assertions_expiry ON system_assertions(expires_at);
   ALTER TABLE record_reads ADD COLUMN reader TEXT NOT NULL DEFAULT 'person';`,
  // A consultation keeps the scheduled one it holds (known when the call is opened) and when the SFU
  // last said its room was empty: the FHIR Encounter's appointment and the end of its period.
  `ALTER TABLE consultations ADD COLUMN appointment_id TEXT;
   ALTER TABLE consultations ADD COLUMN ended_at INTEGER;`,
];

interface PersonRow {
  id: string;
  role: string;
  name: string;
  email: string | null;
  lang: string;
  password_hash: string | null;
}
interface LinkRow {
  person_id: string;
  patient_id: string;
  relation: string;
  relation_text: string | null;
  share_vitals: number;
  self: number;
  may_download: number;
}
interface InvitationRow {
  id: string;
  patient_id: string;
  name: string;
  email: string;
  relation: string;
  relation_text: string | null;
  share_vitals: number;
  invited_by: string;
  expires_at: number;
  used_at: number | null;
  role: string;
  revoked_at: number | null;
}

const toPerson = (r: PersonRow): Person => ({
  id: r.id,
  role: ROLES.find((x) => x === r.role) ?? 'family',
  name: r.name,
  email: r.email,
  lang: LANGS.find((x) => x === r.lang) ?? 'fr',
});
const toLink = (r: LinkRow): CareLink => ({
  personId: r.person_id,
  patientId: r.patient_id,
  ...storedRelation(r),
  shareVitals: r.share_vitals === 1,
  self: r.self === 1,
  mayDownload: r.may_download === 1,
});
/** A stored relation (always a code since migration 4; `other` if the file was edited by hand). */
const storedRelation = (r: { relation: string; relation_text: string | null }) =>
  isRelation(r.relation)
    ? { relation: r.relation, relationText: r.relation_text }
    : { relation: 'other' as const, relationText: r.relation };
const toInvitation = (row: InvitationRow): Invitation => ({
  patientId: row.patient_id,
  name: row.name,
  email: row.email,
  ...storedRelation(row),
  shareVitals: row.share_vitals === 1,
  invitedBy: row.invited_by,
  role: row.role === 'patient' ? 'patient' : 'family',
  expiresAt: row.expires_at,
});
const digest = (token: string) => createHash('sha256').update(token).digest('base64url');
const newToken = () => randomBytes(32).toString('base64url');

export class People {
  readonly #db: Database.Database;
  readonly #passwordWork: ScryptWork;
  /** Verified against when the e-mail is unknown, so that the answer takes as long either way. */
  readonly #unknownAccountHash: string;

  private constructor(db: Database.Database, passwordWork: ScryptWork) {
    this.#db = db;
    this.#passwordWork = passwordWork;
    this.#unknownAccountHash = unmatchableHash(passwordWork);
  }

  /**
   * `readonly`: for another service's directory (web/directory.ts); any write throws.
   * `passwordWork`: scrypt's cost for new passwords, PASSWORD_PARAMS unless a test stack asks for less
   * (tests/support/passwords.ts: the same code at a cost a test can pay a few hundred times).
   */
  static open(path: string, o: { readonly?: boolean; passwordWork?: ScryptWork } = {}): People {
    return new People(
      openSqlite(path, {
        synchronous: 'FULL',
        migrations: { owner: 'people', steps: PEOPLE_MIGRATIONS },
        readonly: o.readonly ?? false,
      }),
      o.passwordWork ?? PASSWORD_PARAMS,
    );
  }

  async createPerson(
    p: { role: Role; name: string; email?: string; lang?: Lang; password?: string },
    now = Date.now(),
  ): Promise<Person> {
    const name = p.name.trim();
    if (!name) throw new PeopleError('name_required', 'a name is required');
    const email = p.email?.trim().toLowerCase() || null;
    if (email && this.personByEmail(email)) throw new PeopleError('email_taken', `an account already uses ${email}`);
    const hash = p.password === undefined ? null : await hashPassword(checkPassword(p.password), this.#passwordWork);
    const id = `u-${randomBytes(6).toString('hex')}`;
    this.#db
      .prepare(
        'INSERT INTO people (id, role, name, email, lang, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(id, p.role, name, email, p.lang ?? 'fr', hash, now);
    return this.person(id)!;
  }

  /**
   * A staff account with a first password (returned once; only its hash is kept) and, if given, the
   * RPPS identifier it signs in with through Pro Santé Connect (checked before the account is made).
   */
  async createStaff(
    p: { role: StaffRole; name: string; email: string; rpps?: string | undefined },
    now = Date.now(),
  ): Promise<{ person: Person; password: string }> {
    if (p.rpps !== undefined) {
      if (!RPPS_PATTERN.test(p.rpps))
        throw new PeopleError('rpps_invalid', 'an RPPS identifier is 9 to 12 digits, as Pro Santé Connect sends it');
      if (this.personByRpps(p.rpps)) throw new PeopleError('rpps_taken', 'another account uses this RPPS identifier');
    }
    const password = firstPassword();
    const person = await this.createPerson({ role: p.role, name: p.name, email: p.email, password }, now);
    if (p.rpps !== undefined) this.setRpps(person.id, p.rpps);
    return { person, password };
  }

  person(id: string): Person | undefined {
    const row = this.#db.prepare<[string], PersonRow>('SELECT * FROM people WHERE id = ?').get(id);
    return row && toPerson(row);
  }

  personByEmail(email: string): Person | undefined {
    const row = this.#db.prepare<[string], PersonRow>('SELECT * FROM people WHERE email = ?').get(email.trim());
    return row && toPerson(row);
  }

  /**
   * Registers the national professional identifier a staff member signs in with through Pro Santé
   * Connect (its SubjectNameID), or removes it (null).
   */
  setRpps(personId: string, rpps: string | null): Person {
    const person = this.person(personId);
    if (!person) throw new PeopleError('invalid_request', `no account ${personId}`);
    if (!isStaff(person.role)) throw new PeopleError('staff_only', 'only members of the care team sign in with PSC');
    if (rpps !== null && !RPPS_PATTERN.test(rpps))
      throw new PeopleError('rpps_invalid', 'an RPPS identifier is 9 to 12 digits, as Pro Santé Connect sends it');
    const owner = rpps === null ? undefined : this.personByRpps(rpps);
    if (owner && owner.id !== personId)
      throw new PeopleError('rpps_taken', 'another account uses this RPPS identifier');
    this.#db.prepare('UPDATE people SET rpps = ? WHERE id = ?').run(rpps, personId);
    return person;
  }

  /** The staff account registered with this RPPS identifier. */
  personByRpps(rpps: string): Person | undefined {
    const row = this.#db.prepare<[string], PersonRow>('SELECT * FROM people WHERE rpps = ?').get(rpps);
    return row && isStaff(toPerson(row).role) ? toPerson(row) : undefined;
  }

  /** The staff roles that must sign in with Pro Santé Connect. */
  pscRequiredRoles(): StaffRole[] {
    const rows = this.#db.prepare<[], { role: string }>('SELECT role FROM psc_required_roles').all();
    return STAFF_ROLES.filter((r) => rows.some((row) => row.role === r));
  }

  /** Sets which staff roles must sign in with Pro Santé Connect (an admin's choice, `by`). */
  setPscRequiredRoles(roles: readonly StaffRole[], by: string, now = Date.now()): StaffRole[] {
    this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM psc_required_roles').run();
      const insert = this.#db.prepare('INSERT INTO psc_required_roles (role, set_by, set_at) VALUES (?, ?, ?)');
      for (const role of new Set(roles)) insert.run(role, by, now);
    })();
    return this.pscRequiredRoles();
  }

  /** The person if the password is theirs. Spends the same time on an unknown e-mail. */
  async signIn(email: string, password: string): Promise<Person | undefined> {
    const row = this.#db.prepare<[string], PersonRow>('SELECT * FROM people WHERE email = ?').get(email.trim());
    const ok = await verifyPassword(password, row?.password_hash ?? this.#unknownAccountHash);
    return row?.password_hash && ok ? toPerson(row) : undefined;
  }

  link(
    personId: string,
    patientId: string,
    link: { relation: string; relationText?: string | null; shareVitals: boolean; self?: boolean },
    now = Date.now(),
  ): CareLink {
    const { relation, text } = relationOf(link.relation, link.relationText);
    this.#db
      .prepare(
        'INSERT INTO care_links (person_id, patient_id, relation, relation_text, share_vitals, self, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET relation = excluded.relation, relation_text = excluded.relation_text, share_vitals = excluded.share_vitals, self = excluded.self',
      )
      .run(personId, patientId, relation, text, link.shareVitals ? 1 : 0, link.self ? 1 : 0, now);
    return this.linkOf(personId, patientId)!;
  }

  linkOf(personId: string, patientId: string): CareLink | undefined {
    const row = this.#db
      .prepare<[string, string], LinkRow>('SELECT * FROM care_links WHERE person_id = ? AND patient_id = ?')
      .get(personId, patientId);
    return row && toLink(row);
  }

  linksOf(personId: string): CareLink[] {
    return this.#db
      .prepare<[string], LinkRow>('SELECT * FROM care_links WHERE person_id = ? ORDER BY created_at')
      .all(personId)
      .map(toLink);
  }

  /**
   * Whether the relative may download the patient's data for them (the patient's choice); undefined
   * when they are not one of the patient's relatives (the patient's own link is not a relative's).
   */
  setMayDownload(personId: string, patientId: string, allowed: boolean): CareLink | undefined {
    const changed = this.#db
      .prepare('UPDATE care_links SET may_download = ? WHERE person_id = ? AND patient_id = ? AND self = 0')
      .run(allowed ? 1 : 0, personId, patientId);
    return changed.changes === 1 ? this.linkOf(personId, patientId) : undefined;
  }

  /** The patient's people and their links (for the chain editor and the notifications). */
  peopleOf(patientId: string): Array<{ person: Person; link: CareLink }> {
    return this.#db
      .prepare<[string], PersonRow & LinkRow>(
        'SELECT * FROM care_links JOIN people ON people.id = care_links.person_id WHERE patient_id = ? ORDER BY care_links.created_at',
      )
      .all(patientId)
      .map((r) => ({ person: toPerson(r), link: toLink(r) }));
  }

  setChain(
    patientId: string,
    steps: readonly EscalationStep[],
    arrivalTimeoutMs = DEFAULT_ARRIVAL_TIMEOUT_MS,
    now = Date.now(),
  ): EscalationChain {
    const seen = new Set<string>();
    for (const [i, step] of steps.entries()) {
      const person = this.person(step.personId);
      if (!person)
        throw new PeopleError('chain_person_unknown', `step ${i + 1}: no person ${step.personId}`, { step: i + 1 });
      if (!this.#isTheirs(person, patientId))
        throw new PeopleError(
          'chain_person_not_linked',
          `step ${i + 1}: ${step.personId} is neither one of ${patientId}'s people nor of their care team`,
          { step: i + 1 },
        );
      if (seen.has(step.personId))
        throw new PeopleError('chain_person_repeated', `step ${i + 1}: ${step.personId} is already a step`, {
          step: i + 1,
        });
      seen.add(step.personId);
      if (!Number.isInteger(step.delayMs) || step.delayMs < 0)
        throw new PeopleError('chain_invalid', `step ${i + 1}: the delay must be a whole number of ms, 0 or more`, {
          step: i + 1,
        });
    }
    if (!Number.isInteger(arrivalTimeoutMs) || arrivalTimeoutMs <= 0)
      throw new PeopleError('chain_invalid', 'the arrival timeout must be positive');
    this.#db
      .prepare(
        'INSERT INTO escalation_chains (patient_id, steps, arrival_timeout_ms, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET steps = excluded.steps, arrival_timeout_ms = excluded.arrival_timeout_ms, updated_at = excluded.updated_at',
      )
      .run(patientId, JSON.stringify(steps), arrivalTimeoutMs, now);
    return this.chain(patientId);
  }

  /** The patient's chain; empty when none was set (the care team's console still shows the alert). */
  chain(patientId: string): EscalationChain {
    const row = this.#db
      .prepare<[string], { steps: string; arrival_timeout_ms: number }>(
        'SELECT steps, arrival_timeout_ms FROM escalation_chains WHERE patient_id = ?',
      )
      .get(patientId);
    if (!row) return { patientId, steps: [], arrivalTimeoutMs: DEFAULT_ARRIVAL_TIMEOUT_MS };
    return { patientId, steps: JSON.parse(row.steps) as EscalationStep[], arrivalTimeoutMs: row.arrival_timeout_ms };
  }

  /** Creates an invitation; returns its token (shown once, stored hashed). */
  invite(
    invitation: Omit<Invitation, 'expiresAt' | 'role' | 'relation' | 'relationText'> & {
      role?: Invitation['role'];
      relation: string;
      relationText?: string | null;
    },
    ttlMs: number,
    now = Date.now(),
  ): { id: string; token: string; expiresAt: number } {
    const token = newToken();
    const expiresAt = now + ttlMs;
    const id = `i-${randomBytes(6).toString('hex')}`;
    const i = invitation;
    const { relation, text } = relationOf(i.relation, i.relationText);
    this.#db
      .prepare(
        'INSERT INTO invitations (id, token_hash, patient_id, name, email, relation, relation_text, share_vitals, invited_by, expires_at, role) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        id,
        digest(token),
        i.patientId,
        i.name.trim(),
        i.email.trim().toLowerCase(),
        relation,
        text,
        i.shareVitals ? 1 : 0,
        i.invitedBy,
        expiresAt,
        i.role ?? 'family',
      );
    return { id, token, expiresAt };
  }

  /** The patient's invitations not yet used, cancelled or expired, soonest to expire first. */
  pendingInvitations(patientId: string, now = Date.now()): PendingInvitation[] {
    return this.#db
      .prepare<[string, number], InvitationRow>(
        'SELECT * FROM invitations WHERE patient_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ? ORDER BY expires_at, id',
      )
      .all(patientId, now)
      .map((row) => ({ id: row.id, ...toInvitation(row) }));
  }

  /**
   * Cancels one of the patient's pending invitations: its link no longer works. Returns what it was;
   * throws `invitation_not_found` for an id that is not a pending invitation of this patient.
   */
  revokeInvitation(patientId: string, id: string, by: string, now = Date.now()): PendingInvitation {
    return this.#db.transaction(() => {
      const row = this.#db
        .prepare<[string, string, number], InvitationRow>(
          'SELECT * FROM invitations WHERE id = ? AND patient_id = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?',
        )
        .get(id, patientId, now);
      if (!row) throw new PeopleError('invitation_not_found', `no pending invitation ${id} for this patient`);
      this.#db.prepare('UPDATE invitations SET revoked_at = ?, revoked_by = ? WHERE id = ?').run(now, by, id);
      return { id: row.id, ...toInvitation(row) };
    })();
  }

  invitation(token: string, now = Date.now()): Invitation {
    const row = this.#db
      .prepare<[string], InvitationRow>('SELECT * FROM invitations WHERE token_hash = ?')
      .get(digest(token));
    if (!row) throw new PeopleError('invitation_invalid', 'this invitation link is not valid');
    if (row.used_at !== null) throw new PeopleError('invitation_used', 'this invitation was already used');
    if (row.revoked_at !== null) throw new PeopleError('invitation_revoked', 'this invitation was cancelled');
    if (row.expires_at <= now) throw new PeopleError('invitation_expired', 'this invitation has expired');
    return toInvitation(row);
  }

  /**
   * Uses an invitation to create the account it names and link it to the patient. An e-mail that
   * already has an account is not taken over by typing a password here: its owner signs in first,
   * then accepts (acceptInvitationAs), so that every password check goes through sign-in's throttle.
   */
  async acceptInvitation(token: string, password: string, now = Date.now()): Promise<Person> {
    const inv = this.invitation(token, now);
    if (this.personByEmail(inv.email)) {
      throw new PeopleError('sign_in_to_accept', 'this e-mail has an account: sign in, then accept the invitation');
    }
    const person = await this.createPerson({ role: inv.role, name: inv.name, email: inv.email, password }, now);
    this.#use(token, inv, person, now);
    return person;
  }

  /** Uses an invitation for the signed-in person it was addressed to. */
  acceptInvitationAs(token: string, person: Person, now = Date.now()): Person {
    const inv = this.invitation(token, now);
    if (person.email === null || person.email !== inv.email) {
      throw new PeopleError('invitation_other_account', 'this invitation was sent to another e-mail address');
    }
    this.#use(token, inv, person, now);
    return person;
  }

  #use(token: string, inv: Invitation, person: Person, now: number): void {
    this.#db.transaction(() => {
      const used = this.#db
        .prepare('UPDATE invitations SET used_at = ? WHERE token_hash = ? AND used_at IS NULL')
        .run(now, digest(token));
      if (used.changes !== 1) throw new PeopleError('invitation_used', 'this invitation was already used');
      this.link(
        person.id,
        inv.patientId,
        {
          relation: inv.relation,
          relationText: inv.relationText,
          shareVitals: inv.shareVitals,
          self: inv.role === 'patient',
        },
        now,
      );
    })();
  }

  createSession(personId: string, ttlMs: number, now = Date.now()): { token: string; expiresAt: number } {
    const token = newToken();
    const expiresAt = now + ttlMs;
    this.#db.prepare('DELETE FROM sessions WHERE expires_at <= ?').run(now);
    this.#db
      .prepare('INSERT INTO sessions (token_hash, person_id, expires_at) VALUES (?, ?, ?)')
      .run(digest(token), personId, expiresAt);
    return { token, expiresAt };
  }

  /** The person a session is for, while it lasts and their account is enabled. */
  session(token: string, now = Date.now()): Person | undefined {
    const row = this.#db
      .prepare<[string, number], { person_id: string }>(
        'SELECT person_id FROM sessions JOIN people ON people.id = sessions.person_id WHERE token_hash = ? AND expires_at > ? AND disabled_at IS NULL',
      )
      .get(digest(token), now);
    return row && this.person(row.person_id);
  }

  /** Ends every session of this person (their account was disabled). */
  endSessionsOf(personId: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE person_id = ?').run(personId);
  }

  endSession(token: string): void {
    this.#db.prepare('DELETE FROM sessions WHERE token_hash = ?').run(digest(token));
  }

  /** Creates a care team (or returns the one with this name). */
  team(name: string, now = Date.now()): string {
    const existing = this.#db.prepare<[string], { id: string }>('SELECT id FROM care_teams WHERE name = ?').get(name);
    if (existing) return existing.id;
    const id = `t-${randomBytes(6).toString('hex')}`;
    this.#db.prepare('INSERT INTO care_teams (id, name, created_at) VALUES (?, ?, ?)').run(id, name, now);
    return id;
  }

  addToTeam(teamId: string, members: { people?: readonly string[]; patients?: readonly string[] }): void {
    this.#db.transaction(() => {
      for (const p of members.people ?? [])
        this.#db.prepare('INSERT OR IGNORE INTO team_members (team_id, person_id) VALUES (?, ?)').run(teamId, p);
      for (const p of members.patients ?? [])
        this.#db.prepare('INSERT OR IGNORE INTO team_patients (team_id, patient_id) VALUES (?, ?)').run(teamId, p);
    })();
  }

  /** The care teams this person is a member of, by name. */
  teamsOf(personId: string): TeamRef[] {
    return this.#db
      .prepare<[string], TeamRef>(
        'SELECT id, name FROM care_teams JOIN team_members ON team_id = id WHERE person_id = ? ORDER BY name',
      )
      .all(personId);
  }

  /** The care teams that follow this patient, by name. */
  patientTeams(patientId: string): TeamRef[] {
    return this.#db
      .prepare<[string], TeamRef>(
        'SELECT id, name FROM care_teams JOIN team_patients ON team_id = id WHERE patient_id = ? ORDER BY name',
      )
      .all(patientId);
  }

  /**
   * The patients a member of the care team may see: those of their teams (an admin: every patient
   * with a team). Families see theirs through care links, not here.
   */
  teamPatients(person: Person): string[] {
    if (person.role === 'admin')
      return this.#db
        .prepare<[], { patient_id: string }>('SELECT DISTINCT patient_id FROM team_patients ORDER BY patient_id')
        .all()
        .map((r) => r.patient_id);
    if (!isStaff(person.role)) return [];
    return this.#db
      .prepare<[string], { patient_id: string }>(
        'SELECT DISTINCT patient_id FROM team_patients JOIN team_members USING (team_id) WHERE person_id = ? ORDER BY patient_id',
      )
      .all(person.id)
      .map((r) => r.patient_id);
  }

  /** The members of the care teams that follow this patient (administrators are not listed unless members). */
  teamMembersOf(patientId: string): Person[] {
    return this.#db
      .prepare<[string], PersonRow>(
        'SELECT DISTINCT people.* FROM team_patients JOIN team_members USING (team_id) JOIN people ON people.id = team_members.person_id WHERE team_patients.patient_id = ? ORDER BY people.name',
      )
      .all(patientId)
      .map(toPerson)
      .filter((p) => isStaff(p.role));
  }

  inTeamOf(person: Person, patientId: string): boolean {
    if (person.role === 'admin') return true;
    if (!isStaff(person.role)) return false;
    return (
      this.#db
        .prepare<[string, string], { x: number }>(
          'SELECT 1 AS x FROM team_patients JOIN team_members USING (team_id) WHERE person_id = ? AND patient_id = ?',
        )
        .get(person.id, patientId) !== undefined
    );
  }

  /** One of the patient's people by their care link, or a member of their care team by their team. */
  #isTheirs(person: Person, patientId: string): boolean {
    return (
      this.linkOf(person.id, patientId) !== undefined || (isStaff(person.role) && this.inTeamOf(person, patientId))
    );
  }

  /**
   * Whether this person may be told about this patient's alerts now: an enabled account that is one
   * of the patient's people or of their care team (a chain step who left the team, or whose account
   * was disabled, is not).
   */
  mayBeAlerted(personId: string, patientId: string): boolean {
    const person = this.person(personId);
    return person !== undefined && !this.isDisabled(personId) && this.#isTheirs(person, patientId);
  }

  /** Whether an administrator disabled this account. */
  isDisabled(personId: string): boolean {
    return (
      this.#db
        .prepare<[string], { x: number }>('SELECT 1 AS x FROM people WHERE id = ? AND disabled_at IS NOT NULL')
        .get(personId) !== undefined
    );
  }

  /** Every staff account, by name, with its teams (the administrators' page). */
  staffAccounts(): StaffAccount[] {
    const rows = this.#db
      .prepare<string[], PersonRow & { rpps: string | null; disabled_at: number | null }>(
        `SELECT * FROM people WHERE role IN (${STAFF_ROLES.map(() => '?').join(', ')}) ORDER BY name COLLATE NOCASE, id`,
      )
      .all(...STAFF_ROLES);
    const teams = this.#db
      .prepare<[], { person_id: string; id: string; name: string }>(
        'SELECT person_id, id, name FROM team_members JOIN care_teams ON care_teams.id = team_members.team_id ORDER BY name',
      )
      .all();
    return rows.flatMap((r) => {
      const person = toPerson(r);
      const role = person.role;
      if (!isStaff(role)) return [];
      return {
        ...person,
        role,
        rpps: r.rpps,
        disabled: r.disabled_at !== null,
        teams: teams.filter((t) => t.person_id === r.id).map(({ id, name }) => ({ id, name })),
      };
    });
  }

  /** One staff account (undefined for an unknown id or someone outside the care team). */
  staffAccount(personId: string): StaffAccount | undefined {
    return this.staffAccounts().find((a) => a.id === personId);
  }

  /**
   * Changes a staff account's name and role. The organisation always keeps one enabled administrator:
   * the last one cannot become something else.
   */
  updateStaff(personId: string, change: { name: string; role: StaffRole }): StaffAccount {
    const account = this.#staff(personId);
    const name = change.name.trim();
    if (!name) throw new PeopleError('name_required', 'a name is required');
    if (account.role === 'admin' && change.role !== 'admin' && !account.disabled) this.#keepAnAdmin(personId);
    this.#db.prepare('UPDATE people SET name = ?, role = ? WHERE id = ?').run(name, change.role, personId);
    return this.#staff(personId);
  }

  /**
   * Disables a staff account (no sign-in by any means, its sessions end; nothing is deleted) or
   * enables it again. `by`: the administrator, who cannot disable themself.
   */
  setDisabled(personId: string, disabled: boolean, by: string, now = Date.now()): StaffAccount {
    const account = this.#staff(personId);
    if (disabled && personId === by)
      throw new PeopleError('cannot_disable_self', 'you cannot disable your own account');
    if (disabled && account.role === 'admin' && !account.disabled) this.#keepAnAdmin(personId);
    this.#db.transaction(() => {
      this.#db.prepare('UPDATE people SET disabled_at = ? WHERE id = ?').run(disabled ? now : null, personId);
      if (disabled) this.endSessionsOf(personId);
    })();
    return this.#staff(personId);
  }

  #staff(personId: string): StaffAccount {
    const account = this.staffAccount(personId);
    if (!account) throw new PeopleError('staff_not_found', `no staff account ${personId}`);
    return account;
  }

  /** Refuses a change that would leave no enabled administrator but `personId`. */
  #keepAnAdmin(personId: string): void {
    const others = this.#db
      .prepare<[string], { n: number }>(
        "SELECT COUNT(*) AS n FROM people WHERE role = 'admin' AND disabled_at IS NULL AND id != ?",
      )
      .get(personId);
    if ((others?.n ?? 0) === 0)
      throw new PeopleError('last_admin', 'the organisation needs at least one enabled administrator');
  }

  /** Every care team with its members and patients, by name. */
  teams(): CareTeam[] {
    const teams = this.#db
      .prepare<[], { id: string; name: string }>('SELECT id, name FROM care_teams ORDER BY name COLLATE NOCASE')
      .all();
    const members = this.#db
      .prepare<[], { team_id: string; person_id: string }>('SELECT team_id, person_id FROM team_members')
      .all();
    const patients = this.#db
      .prepare<[], { team_id: string; patient_id: string }>(
        'SELECT team_id, patient_id FROM team_patients ORDER BY patient_id',
      )
      .all();
    return teams.map((t) => ({
      ...t,
      memberIds: members.filter((m) => m.team_id === t.id).map((m) => m.person_id),
      patientIds: patients.filter((p) => p.team_id === t.id).map((p) => p.patient_id),
    }));
  }

  /** One care team (refused as `team_not_found` when there is none with this id). */
  careTeam(teamId: string): CareTeam {
    const team = this.teams().find((t) => t.id === teamId);
    if (!team) throw new PeopleError('team_not_found', `no care team ${teamId}`);
    return team;
  }

  /** Creates a care team; its name is unique (unlike `team`, which returns the existing one). */
  createTeam(name: string, now = Date.now()): CareTeam {
    const trimmed = this.#freeTeamName(name);
    return this.careTeam(this.team(trimmed, now));
  }

  renameTeam(teamId: string, name: string): CareTeam {
    this.careTeam(teamId);
    const trimmed = this.#freeTeamName(name, teamId);
    this.#db.prepare('UPDATE care_teams SET name = ? WHERE id = ?').run(trimmed, teamId);
    return this.careTeam(teamId);
  }

  #freeTeamName(name: string, teamId?: string): string {
    const trimmed = name.trim();
    if (!trimmed) throw new PeopleError('name_required', 'a name is required');
    // Names that differ only in case ("équipe sud", "Équipe Sud") would be taken for one another.
    const folded = trimmed.toLocaleLowerCase('fr');
    const owner = this.#db
      .prepare<[], { id: string; name: string }>('SELECT id, name FROM care_teams')
      .all()
      .find((t) => t.name.toLocaleLowerCase('fr') === folded);
    if (owner && owner.id !== teamId) throw new PeopleError('team_name_taken', 'another team has this name');
    return trimmed;
  }

  removeFromTeam(teamId: string, members: { people?: readonly string[]; patients?: readonly string[] }): void {
    this.#db.transaction(() => {
      for (const p of members.people ?? [])
        this.#db.prepare('DELETE FROM team_members WHERE team_id = ? AND person_id = ?').run(teamId, p);
      for (const p of members.patients ?? [])
        this.#db.prepare('DELETE FROM team_patients WHERE team_id = ? AND patient_id = ?').run(teamId, p);
    })();
  }

  /** The coordination log ("cahier de liaison"): short notes shared by the patient's care team. */
  addNote(
    patientId: string,
    authorId: string,
    text: string,
    now = Date.now(),
    closes: ClosedAlertRef | null = null,
  ): CoordinationNote {
    const body = text.trim();
    if (!body) throw new PeopleError('note_empty', 'write something first');
    if (body.length > MAX_NOTE_LENGTH)
      throw new PeopleError('note_too_long', `a note has at most ${MAX_NOTE_LENGTH} characters`, {
        max: MAX_NOTE_LENGTH,
      });
    const id = Number(
      this.#db
        .prepare(
          'INSERT INTO coordination_notes (patient_id, author_id, text, at, closes_alert_id, closes_alert_kind, closes_alert_opened_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(patientId, authorId, body, now, closes?.id ?? null, closes?.kind ?? null, closes?.openedAt ?? null)
        .lastInsertRowid,
    );
    return this.notes(patientId, 1, id + 1)[0]!;
  }

  /** The newest notes first (`before`: an id, to page back). */
  notes(patientId: string, limit = 50, before = Number.MAX_SAFE_INTEGER): CoordinationNote[] {
    return this.#db
      .prepare<
        [string, number, number],
        {
          id: number;
          author_id: string;
          name: string | null;
          role: string | null;
          text: string;
          at: number;
          closes_alert_id: number | null;
          closes_alert_kind: string | null;
          closes_alert_opened_at: number | null;
        }
      >(
        'SELECT n.id, n.author_id, p.name, p.role, n.text, n.at, n.closes_alert_id, n.closes_alert_kind, n.closes_alert_opened_at FROM coordination_notes n LEFT JOIN people p ON p.id = n.author_id WHERE n.patient_id = ? AND n.id < ? ORDER BY n.id DESC LIMIT ?',
      )
      .all(patientId, before, limit)
      .map((r) => ({
        id: r.id,
        authorId: r.author_id,
        author: r.name ?? r.author_id,
        role: r.role ?? '',
        text: r.text,
        at: r.at,
        closes:
          r.closes_alert_id === null
            ? null
            : { id: r.closes_alert_id, kind: r.closes_alert_kind ?? '', openedAt: r.closes_alert_opened_at ?? 0 },
      }));
  }

  /** One note by its id, with whose record it is in. */
  note(id: number): (CoordinationNote & { readonly patientId: string }) | undefined {
    const row = this.#db
      .prepare<[number], { patient_id: string }>('SELECT patient_id FROM coordination_notes WHERE id = ?')
      .get(id);
    const note = row && this.notes(row.patient_id, 1, id + 1)[0];
    return row && note?.id === id ? { ...note, patientId: row.patient_id } : undefined;
  }

  /**
   * Registers (or renews the keys of) one of this person's push subscriptions. An endpoint that is
   * another account's is refused, not moved: its alerts must keep reaching whoever registered it.
   */
  addPushSubscription(personId: string, sub: PushSubscriptionRecord, now = Date.now()): void {
    this.#db.transaction(() => {
      const owner = this.#db
        .prepare<[string], { person_id: string }>('SELECT person_id FROM push_subscriptions WHERE endpoint = ?')
        .get(sub.endpoint)?.person_id;
      if (owner !== undefined && owner !== personId) {
        throw new PeopleError('push_endpoint_taken', 'this push endpoint is registered by another account');
      }
      this.#db
        .prepare(
          'INSERT INTO push_subscriptions (endpoint, person_id, p256dh, auth, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET p256dh = excluded.p256dh, auth = excluded.auth',
        )
        .run(sub.endpoint, personId, sub.keys.p256dh, sub.keys.auth, now);
    })();
  }

  pushSubscriptions(personId: string): PushSubscriptionRecord[] {
    return this.#db
      .prepare<[string], { endpoint: string; p256dh: string; auth: string }>(
        'SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE person_id = ?',
      )
      .all(personId)
      .map((r) => ({ endpoint: r.endpoint, keys: { p256dh: r.p256dh, auth: r.auth } }));
  }

  /** A push service said the subscription is gone (404/410). */
  removePushSubscription(endpoint: string): void {
    this.#db.prepare('DELETE FROM push_subscriptions WHERE endpoint = ?').run(endpoint);
  }

  /**
   * A personal API token for a member of the care team: it acts as them, with their access, until it
   * expires or they revoke it. Shown once; only its hash is kept.
   */
  createApiToken(personId: string, label: string, ttlMs: number, now = Date.now()): ApiToken & { token: string } {
    const id = `k-${randomBytes(6).toString('hex')}`;
    const token = `vigie_${newToken()}`;
    const expiresAt = now + ttlMs;
    this.#db
      .prepare(
        'INSERT INTO api_tokens (id, token_hash, person_id, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, digest(token), personId, label.trim(), now, expiresAt);
    return { id, label: label.trim(), createdAt: now, expiresAt, lastUsedAt: null, token };
  }

  /** This person's tokens that still work (expired and revoked ones are not listed). */
  apiTokens(personId: string, now = Date.now()): ApiToken[] {
    return this.#db
      .prepare<[string, number], ApiTokenRow>(
        'SELECT * FROM api_tokens WHERE person_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY created_at DESC',
      )
      .all(personId, now)
      .map(toApiToken);
  }

  /** Revokes one of this person's tokens; false when they have no such token. */
  revokeApiToken(personId: string, id: string, now = Date.now()): boolean {
    return (
      this.#db
        .prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND person_id = ? AND revoked_at IS NULL')
        .run(now, id, personId).changes === 1
    );
  }

  /** The person a valid token acts for. */
  personByApiToken(token: string, now = Date.now()): Person | undefined {
    const row = this.#db
      .prepare<[string, number], ApiTokenRow>(
        'SELECT api_tokens.* FROM api_tokens JOIN people ON people.id = api_tokens.person_id WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ? AND disabled_at IS NULL',
      )
      .get(digest(token), now);
    if (!row) return undefined;
    this.#db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
    return this.person(row.person_id);
  }

  close(): void {
    this.#db.close();
  }
}

/** A staff account as the administrators' page shows it. */
export interface StaffAccount extends Omit<Person, 'role'> {
  readonly role: StaffRole;
  readonly rpps: string | null;
  readonly disabled: boolean;
  readonly teams: ReadonlyArray<{ readonly id: string; readonly name: string }>;
}

/** A care team: who is in it, which patients it follows. */
export interface CareTeam extends TeamRef {
  readonly memberIds: readonly string[];
  readonly patientIds: readonly string[];
}

export interface ApiToken {
  readonly id: string;
  readonly label: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly lastUsedAt: number | null;
}
interface ApiTokenRow {
  id: string;
  person_id: string;
  label: string;
  created_at: number;
  expires_at: number;
  last_used_at: number | null;
}
const toApiToken = (r: ApiTokenRow): ApiToken => ({
  id: r.id,
  label: r.label,
  createdAt: r.created_at,
  expiresAt: r.expires_at,
  lastUsedAt: r.last_used_at,
});

/**
 * A relation as stored: a code with, for `other`, what was typed. A word instead of a code (scripts,
 * older clients) becomes its code (common/relations.ts).
 */
function relationOf(relation: string, relationText?: string | null): { relation: Relation; text: string | null } {
  const mapped = relationFromText(relation);
  const text = mapped.relation === 'other' ? relationText?.trim() || mapped.text : null;
  return { relation: mapped.relation, text: text ? text.slice(0, 60) : null };
}

function checkPassword(password: string): string {
  if ([...password].length < MIN_PASSWORD_LENGTH)
    throw new PeopleError('password_too_short', `choose a password of at least ${MIN_PASSWORD_LENGTH} characters`, {
      min: MIN_PASSWORD_LENGTH,
    });
  return password;
}
