/**
 * Teleconsultations' consents and reports, as the HAS asks: the patient's consent (who gave it, how,
 * when, recorded by whom) is kept for each consultation; the clinician writes a report (reason,
 * observations, vital signs of the moment, conclusion, follow-up) as a draft, then finalises it, which
 * signs it with their name and the time. A finalised report is never overwritten: an amendment is a
 * new signed version with its reason, and every version stays readable.
 *
 * Stored in the people database (the web service owns it), tables `consents`, `reports` and
 * `report_versions` (migration in web/people.ts). The rules of who may read what are the routes'
 * (web/routes/reports.ts); this module keeps the records and their states.
 */
import type Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { VigieError } from '../common/errors.ts';
import { migrate } from '../common/migrate.ts';
import { openSqlite } from '../common/sqlite.ts';
import { PEOPLE_MIGRATIONS } from './people.ts';
import {
  CONSENT_GIVERS,
  CONSENT_METHODS,
  REPORT_STATUSES,
  reportContentSchema,
  type ConsentBody,
  type ReportContent,
  type ReportVersion,
} from './api/schemas.ts';

export interface Consent {
  readonly id: string;
  readonly patientId: string;
  readonly roomId: string;
  readonly givenBy: (typeof CONSENT_GIVERS)[number];
  readonly representative: string | null;
  readonly method: (typeof CONSENT_METHODS)[number];
  readonly givenAt: number;
  readonly recordedById: string;
  readonly recordedAt: number;
}

export interface Report {
  readonly id: string;
  readonly patientId: string;
  readonly roomId: string;
  readonly status: (typeof REPORT_STATUSES)[number];
  readonly content: ReportContent;
  readonly authorId: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Signed versions, oldest first. */
  readonly versions: readonly ReportVersion[];
}

interface ConsentRow {
  id: string;
  patient_id: string;
  room_id: string;
  given_by: string;
  representative: string | null;
  method: string;
  given_at: number;
  recorded_by: string;
  recorded_at: number;
}
interface ReportRow {
  id: string;
  patient_id: string;
  room_id: string;
  status: string;
  content: string;
  author_id: string;
  created_at: number;
  updated_at: number;
}
interface VersionRow {
  version: number;
  content: string;
  signed_by: string;
  signer_name: string;
  signed_at: number;
  reason: string | null;
}

/** A teleconsultation as it was opened: the FHIR Encounter of its room. */
export interface HeldConsultation {
  readonly roomId: string;
  readonly patientId: string;
  readonly clinicianId: string;
  readonly startedAt: number;
  /** When its links stop admitting anyone: the consultation is over by then. */
  readonly expiresAt: number;
  readonly inviteFamily: boolean;
  /** The scheduled consultation it holds (opened in its slot: web/appointments.ts `current`). */
  readonly appointmentId: string | null;
  /** When the SFU last said its room was empty (null: someone is in it, or nobody has said). */
  readonly endedAt: number | null;
}
interface ConsultationRow {
  room_id: string;
  patient_id: string;
  clinician_id: string;
  started_at: number;
  expires_at: number;
  appointment_id: string | null;
  ended_at: number | null;
  invite_family: number;
}

/** How far ahead of the server's clock a consent's time may be (the clinician's clock may run a little fast). */
export const CONSENT_CLOCK_SKEW_MS = 5 * 60_000;

export class Reports {
  readonly #db: Database.Database;
  readonly #now: () => number;

  private constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Opens the people database at `path` (its migrations run first, whoever opens it first). */
  static open(path: string, o: { now?: () => number } = {}): Reports {
    const db = openSqlite(path, { synchronous: 'FULL' });
    migrate(db, 'people', PEOPLE_MIGRATIONS);
    return new Reports(db, o.now ?? Date.now);
  }

  /** Records a consent to the consultation `roomId`; a later one for the same room supersedes it. */
  recordConsent(patientId: string, roomId: string, body: ConsentBody, recordedBy: string): Consent {
    const now = this.#now();
    if (body.givenBy === 'representative' && body.representative === null)
      throw new VigieError('consent_representative_missing', 'name the legal representative who consented');
    if (body.givenBy === 'patient' && body.representative !== null)
      throw new VigieError('consent_representative_unexpected', 'the patient consented: no representative');
    if (body.givenAt > now + CONSENT_CLOCK_SKEW_MS)
      throw new VigieError('consent_time_invalid', 'a consent cannot be given in the future');
    const consent: Consent = {
      id: `c-${randomBytes(6).toString('hex')}`,
      patientId,
      roomId,
      givenBy: body.givenBy,
      representative: body.representative,
      method: body.method,
      givenAt: body.givenAt,
      recordedById: recordedBy,
      recordedAt: now,
    };
    this.#db
      .prepare(
        'INSERT INTO consents (id, patient_id, room_id, given_by, representative, method, given_at, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        consent.id,
        patientId,
        roomId,
        consent.givenBy,
        consent.representative,
        consent.method,
        consent.givenAt,
        recordedBy,
        now,
      );
    return consent;
  }

  /** The last consent recorded for a consultation of this patient. */
  consentFor(patientId: string, roomId: string): Consent | undefined {
    const row = this.#db
      .prepare<[string, string], ConsentRow>(
        'SELECT * FROM consents WHERE patient_id = ? AND room_id = ? ORDER BY recorded_at DESC, rowid DESC LIMIT 1',
      )
      .get(patientId, roomId);
    return row && toConsent(row);
  }

  /** Creates or updates the draft report of a consultation; a finalised one is changed by `amend`. */
  saveDraft(patientId: string, roomId: string, content: ReportContent, authorId: string): Report {
    const now = this.#now();
    return this.#db.transaction(() => {
      const row = this.#db.prepare<[string], ReportRow>('SELECT * FROM reports WHERE room_id = ?').get(roomId);
      if (row && row.patient_id !== patientId) throw new VigieError('report_not_found', 'no such report');
      if (row && row.status === 'final')
        throw new VigieError('report_final', 'this report is finalised: amend it instead');
      if (row) {
        this.#db
          .prepare('UPDATE reports SET content = ?, author_id = ?, updated_at = ? WHERE id = ?')
          .run(JSON.stringify(content), authorId, now, row.id);
        return this.#required(row.id);
      }
      const id = `r-${randomBytes(6).toString('hex')}`;
      this.#db
        .prepare(
          "INSERT INTO reports (id, patient_id, room_id, status, content, author_id, created_at, updated_at) VALUES (?, ?, ?, 'draft', ?, ?, ?, ?)",
        )
        .run(id, patientId, roomId, JSON.stringify(content), authorId, now, now);
      return this.#required(id);
    })();
  }

  /**
   * Signs a draft with its signer's name and the time. It needs the consultation's consent and at
   * least a reason and a conclusion.
   */
  finalise(reportId: string, signer: { id: string; name: string }): Report {
    return this.#db.transaction(() => {
      const report = this.#required(reportId);
      if (report.status === 'final') throw new VigieError('report_final', 'this report is already finalised');
      if (!this.consentFor(report.patientId, report.roomId))
        throw new VigieError('consent_required', 'record the patient’s consent before finalising the report');
      requireComplete(report.content);
      this.#sign(report, report.content, signer, null);
      return this.#required(reportId);
    })();
  }

  /** A new signed version of a finalised report, with why; the previous versions stay. */
  amend(reportId: string, content: ReportContent, reason: string, signer: { id: string; name: string }): Report {
    return this.#db.transaction(() => {
      const report = this.#required(reportId);
      if (report.status !== 'final') throw new VigieError('report_not_final', 'a draft is edited, not amended');
      requireComplete(content);
      this.#sign(report, content, signer, reason);
      return this.#required(reportId);
    })();
  }

  report(reportId: string): Report | undefined {
    const row = this.#db.prepare<[string], ReportRow>('SELECT * FROM reports WHERE id = ?').get(reportId);
    return row && this.#toReport(row);
  }

  byRoom(roomId: string): Report | undefined {
    const row = this.#db.prepare<[string], ReportRow>('SELECT * FROM reports WHERE room_id = ?').get(roomId);
    return row && this.#toReport(row);
  }

  /** A patient's reports, newest first. */
  reportsOf(patientId: string): Report[] {
    return this.#db
      .prepare<[string], ReportRow>('SELECT * FROM reports WHERE patient_id = ? ORDER BY created_at DESC, rowid DESC')
      .all(patientId)
      .map((r) => this.#toReport(r));
  }

  /** Keeps the record that a consultation was opened (the calls themselves live in memory: web/calls.ts). */
  recordConsultation(held: Omit<HeldConsultation, 'endedAt'>): void {
    this.#db
      .prepare(
        'INSERT OR IGNORE INTO consultations (room_id, patient_id, clinician_id, started_at, expires_at, invite_family, appointment_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        held.roomId,
        held.patientId,
        held.clinicianId,
        held.startedAt,
        held.expiresAt,
        held.inviteFamily ? 1 : 0,
        held.appointmentId,
      );
  }

  /**
   * What the SFU says of the room: empty at `at` (the consultation has ended, unless someone comes
   * back before its links expire), or with someone in it again (null).
   */
  consultationEmptied(roomId: string, at: number | null): void {
    this.#db.prepare('UPDATE consultations SET ended_at = ? WHERE room_id = ?').run(at, roomId);
  }

  consultation(roomId: string): HeldConsultation | undefined {
    const row = this.#db
      .prepare<[string], ConsultationRow>('SELECT * FROM consultations WHERE room_id = ?')
      .get(roomId);
    return row && toConsultation(row);
  }

  /** A patient's consultations, newest first. */
  consultationsOf(patientId: string): HeldConsultation[] {
    return this.#db
      .prepare<[string], ConsultationRow>(
        'SELECT * FROM consultations WHERE patient_id = ? ORDER BY started_at DESC, rowid DESC',
      )
      .all(patientId)
      .map(toConsultation);
  }

  close(): void {
    this.#db.close();
  }

  #sign(report: Report, content: ReportContent, signer: { id: string; name: string }, reason: string | null): void {
    const now = this.#now();
    this.#db
      .prepare(
        'INSERT INTO report_versions (report_id, version, content, signed_by, signer_name, signed_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?)',
      )
      .run(report.id, report.versions.length + 1, JSON.stringify(content), signer.id, signer.name, now, reason);
    this.#db
      .prepare("UPDATE reports SET status = 'final', content = ?, updated_at = ? WHERE id = ?")
      .run(JSON.stringify(content), now, report.id);
  }

  #required(reportId: string): Report {
    const report = this.report(reportId);
    if (!report) throw new VigieError('report_not_found', 'no such report');
    return report;
  }

  #toReport(row: ReportRow): Report {
    const versions = this.#db
      .prepare<[string], VersionRow>('SELECT * FROM report_versions WHERE report_id = ? ORDER BY version')
      .all(row.id)
      .map((v) => ({
        version: v.version,
        content: contentOf(v.content),
        signedById: v.signed_by,
        signedBy: v.signer_name,
        signedAt: v.signed_at,
        reason: v.reason,
      }));
    return {
      id: row.id,
      patientId: row.patient_id,
      roomId: row.room_id,
      status: row.status === 'final' ? 'final' : 'draft',
      content: contentOf(row.content),
      authorId: row.author_id,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      versions,
    };
  }
}

/** A report is signed with at least why the consultation took place and what it concluded. */
function requireComplete(content: ReportContent): void {
  const missing = (['reason', 'conclusion'] as const).filter((f) => content[f] === '');
  if (missing.length > 0)
    throw new VigieError('report_incomplete', `a signed report needs: ${missing.join(', ')}`, {
      fields: missing.join(','),
    });
}

/** Stored JSON back to a report's content (written by this module; parsed, never cast). */
function contentOf(json: string): ReportContent {
  return reportContentSchema.parse(JSON.parse(json));
}

function toConsent(r: ConsentRow): Consent {
  return {
    id: r.id,
    patientId: r.patient_id,
    roomId: r.room_id,
    givenBy: CONSENT_GIVERS.find((g) => g === r.given_by) ?? 'patient',
    representative: r.representative,
    method: CONSENT_METHODS.find((m) => m === r.method) ?? 'oral',
    givenAt: r.given_at,
    recordedById: r.recorded_by,
    recordedAt: r.recorded_at,
  };
}

function toConsultation(r: ConsultationRow): HeldConsultation {
  return {
    roomId: r.room_id,
    patientId: r.patient_id,
    clinicianId: r.clinician_id,
    startedAt: r.started_at,
    expiresAt: r.expires_at,
    inviteFamily: r.invite_family === 1,
    appointmentId: r.appointment_id,
    endedAt: r.ended_at,
  };
}
