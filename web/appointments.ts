/**
 * Scheduled teleconsultations: a member of the care team books one with a patient for a date and a
 * time (and, if they wish, their relatives), lists them, cancels them. The patient and the invited
 * relatives read their next one on the family page and join it from 10 minutes before.
 *
 * Stored in the people database (the web service owns it), table `appointments` (migration in
 * web/people.ts). Booked and cancelled ones are kept: they are part of the record of care.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { migrate } from '../common/migrate.ts';
import { openSqlite } from '../common/sqlite.ts';
import { VigieError } from '../common/errors.ts';
import { PEOPLE_MIGRATIONS } from './people.ts';
import { APPOINTMENT_STATUSES, type AppointmentStatus } from './api/schemas.ts';

// Defined with the API's schemas (the pages read them); the store's users find them here too.
export { APPOINTMENT_STATUSES, type AppointmentStatus };

/** Bounds of one consultation's length, in minutes. */
export const APPOINTMENT_MINUTES = { min: 10, max: 60 } as const;
/** How long before its start the patient and relatives may join. */
export const JOIN_EARLY_MS = 10 * 60_000;
/** The furthest ahead a consultation may be booked. */
export const BOOK_AHEAD_MS = 365 * 24 * 3600_000;

/**
 * The reminders (web/appointment-reminders.ts sends them), one of each kind at most per consultation:
 * - `day`: an e-mail with the calendar file (same UID, METHOD:REQUEST, so that calendars update the
 *   event rather than add one) 24 hours before the start. Not for a consultation booked less than 36
 *   hours ahead: its invitation, a few hours old at most, is its reminder. Sent late if the service was
 *   down at the time, but not once the `soon` one is due (two messages within minutes say the same).
 * - `soon`: a Web Push notification 15 minutes before the start, to those whose phone or browser has
 *   subscribed; it opens the family page, where "Join" turns on at 10 minutes. Sent late (the service
 *   was down) as long as the consultation is not over: it gives the time, never "in 15 minutes".
 */
export const REMINDERS = {
  day: { beforeMs: 24 * 3600_000, minNoticeMs: 36 * 3600_000 },
  soon: { beforeMs: 15 * 60_000 },
} as const;
export type ReminderKind = keyof typeof REMINDERS;

export interface Appointment {
  readonly id: string;
  readonly patientId: string;
  readonly clinicianId: string;
  readonly startsAt: number;
  readonly minutes: number;
  readonly inviteFamily: boolean;
  readonly reason: string;
  readonly status: AppointmentStatus;
  readonly bookedBy: string;
  readonly bookedAt: number;
  readonly cancelledBy: string | null;
  readonly cancelledAt: number | null;
  /** When it became `done` or `missed`. */
  readonly settledAt: number | null;
}

export type Booking = Pick<
  Appointment,
  'patientId' | 'clinicianId' | 'startsAt' | 'minutes' | 'inviteFamily' | 'reason' | 'bookedBy'
>;

interface Row {
  id: string;
  patient_id: string;
  clinician_id: string;
  starts_at: number;
  minutes: number;
  invite_family: number;
  reason: string;
  status: string;
  booked_by: string;
  booked_at: number;
  cancelled_by: string | null;
  cancelled_at: number | null;
  settled_at: number | null;
}

export class Appointments {
  readonly #db: Database.Database;
  readonly #now: () => number;

  private constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Opens the people database at `path` (its migrations run first, whoever opens it first). */
  static open(path: string, o: { now?: () => number } = {}): Appointments {
    const db = openSqlite(path, { synchronous: 'FULL' });
    migrate(db, 'people', PEOPLE_MIGRATIONS);
    return new Appointments(db, o.now ?? Date.now);
  }

  /**
   * Books a consultation: in the future (within a year), 10 to 60 minutes, and not over another booked
   * consultation of the same clinician. The check and the insert are one transaction.
   */
  book(b: Booking): Appointment {
    const now = this.#now();
    if (!Number.isInteger(b.minutes) || b.minutes < APPOINTMENT_MINUTES.min || b.minutes > APPOINTMENT_MINUTES.max) {
      throw new VigieError(
        'appointment_duration_invalid',
        `a consultation lasts ${APPOINTMENT_MINUTES.min} to ${APPOINTMENT_MINUTES.max} minutes`,
        APPOINTMENT_MINUTES,
      );
    }
    if (b.startsAt <= now) throw new VigieError('appointment_in_past', 'a consultation is booked in the future');
    if (b.startsAt > now + BOOK_AHEAD_MS) throw new VigieError('appointment_too_far', 'at most a year ahead');
    const id = `a-${randomBytes(6).toString('hex')}`;
    const endsAt = b.startsAt + b.minutes * 60_000;
    this.#db.transaction(() => {
      const clash = this.#db
        .prepare<[string, number, number], { id: string }>(
          `SELECT id FROM appointments WHERE clinician_id = ? AND status = 'booked'
             AND starts_at < ? AND starts_at + minutes * 60000 > ? LIMIT 1`,
        )
        .get(b.clinicianId, endsAt, b.startsAt);
      if (clash) throw new VigieError('appointment_overlap', 'the clinician already has a consultation at that time');
      this.#db
        .prepare(
          `INSERT INTO appointments (id, patient_id, clinician_id, starts_at, minutes, invite_family, reason, status, booked_by, booked_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'booked', ?, ?)`,
        )
        .run(id, b.patientId, b.clinicianId, b.startsAt, b.minutes, b.inviteFamily ? 1 : 0, b.reason, b.bookedBy, now);
    })();
    const booked = this.get(id);
    if (!booked) throw new Error(`appointment ${id} not stored`);
    return booked;
  }

  /** The store's clock (tests move it): the reminders and the outcomes follow it. */
  now(): number {
    return this.#now();
  }

  get(id: string): Appointment | undefined {
    const row = this.#db.prepare<[string], Row>('SELECT * FROM appointments WHERE id = ?').get(id);
    return row && toAppointment(row);
  }

  /** A patient's booked consultations not yet over (held ones too, until their end), soonest first. */
  upcoming(patientId: string): Appointment[] {
    return this.#db
      .prepare<[string, number], Row>(
        `SELECT * FROM appointments WHERE patient_id = ? AND status IN ('booked', 'done') AND starts_at + minutes * 60000 > ?
         ORDER BY starts_at, rowid`,
      )
      .all(patientId, this.#now())
      .map(toAppointment);
  }

  /** All of a patient's consultations, booked, cancelled or over, latest start first (FHIR, exports). */
  allOfPatient(patientId: string): Appointment[] {
    return this.#db
      .prepare<[string], Row>('SELECT * FROM appointments WHERE patient_id = ? ORDER BY starts_at DESC, rowid DESC')
      .all(patientId)
      .map(toAppointment);
  }

  /**
   * A patient's consultations for the care team: the booked ones not yet over, and those held or missed
   * whose slot ended after `since` (cancelled ones are in the change log), soonest first.
   */
  ofPatient(patientId: string, since: number): Appointment[] {
    return this.#db
      .prepare<[string, number, number], Row>(
        `SELECT * FROM appointments WHERE patient_id = ? AND status != 'cancelled'
           AND starts_at + minutes * 60000 > (CASE status WHEN 'booked' THEN ? ELSE ? END)
         ORDER BY starts_at, rowid`,
      )
      .all(patientId, this.#now(), since)
      .map(toAppointment);
  }

  /** A clinician's consultations between two instants (their day), booked, held or missed, soonest first. */
  ofClinician(clinicianId: string, from: number, to: number): Appointment[] {
    return this.#db
      .prepare<[string, number, number], Row>(
        `SELECT * FROM appointments WHERE clinician_id = ? AND status != 'cancelled' AND starts_at >= ? AND starts_at < ?
         ORDER BY starts_at, rowid`,
      )
      .all(clinicianId, from, to)
      .map(toAppointment);
  }

  /** Cancels a booked consultation; one already cancelled or over is refused. */
  cancel(id: string, by: string): Appointment {
    const done = this.#db
      .prepare(
        `UPDATE appointments SET status = 'cancelled', cancelled_by = ?, cancelled_at = ?
         WHERE id = ? AND status = 'booked' AND starts_at + minutes * 60000 > ?`,
      )
      .run(by, this.#now(), id, this.#now());
    if (done.changes === 0)
      throw new VigieError('appointment_not_cancellable', 'this consultation is cancelled or over');
    const cancelled = this.get(id);
    if (!cancelled) throw new Error(`appointment ${id} vanished`);
    return cancelled;
  }

  /** The consultations whose reminder of this kind is due now and not yet sent (REMINDERS). */
  dueReminders(kind: ReminderKind): Appointment[] {
    const now = this.#now();
    const sql =
      kind === 'day'
        ? `SELECT * FROM appointments WHERE status = 'booked' AND reminded_day_at IS NULL
             AND starts_at > ? AND starts_at <= ? AND booked_at <= starts_at - ${REMINDERS.day.minNoticeMs}
           ORDER BY starts_at, rowid`
        : `SELECT * FROM appointments WHERE status = 'booked' AND reminded_soon_at IS NULL
             AND starts_at + minutes * 60000 > ? AND starts_at <= ?
           ORDER BY starts_at, rowid`;
    const [after, until] =
      kind === 'day'
        ? [now + REMINDERS.soon.beforeMs, now + REMINDERS.day.beforeMs]
        : [now, now + REMINDERS.soon.beforeMs];
    return this.#db.prepare<[number, number], Row>(sql).all(after, until).map(toAppointment);
  }

  /**
   * Marks a reminder sent before it leaves; false when it already was (another tick, another process)
   * or the consultation is no longer booked. `release` undoes it when it could not be handed over.
   */
  claimReminder(id: string, kind: ReminderKind): boolean {
    const column = kind === 'day' ? 'reminded_day_at' : 'reminded_soon_at';
    return (
      this.#db
        .prepare(`UPDATE appointments SET ${column} = ? WHERE id = ? AND status = 'booked' AND ${column} IS NULL`)
        .run(this.#now(), id).changes === 1
    );
  }

  releaseReminder(id: string, kind: ReminderKind): void {
    const column = kind === 'day' ? 'reminded_day_at' : 'reminded_soon_at';
    this.#db.prepare(`UPDATE appointments SET ${column} = NULL WHERE id = ?`).run(id);
  }

  /** When each reminder was sent (null: not sent). */
  reminded(id: string): { day: number | null; soon: number | null } | undefined {
    const row = this.#db
      .prepare<[string], { day: number | null; soon: number | null }>(
        'SELECT reminded_day_at AS day, reminded_soon_at AS soon FROM appointments WHERE id = ?',
      )
      .get(id);
    return row && { day: row.day, soon: row.soon };
  }

  /**
   * The booked consultation of this clinician with this patient that may be held now: from 10 minutes
   * before its start (when the patient may join) to its end.
   */
  current(patientId: string, clinicianId: string): Appointment | undefined {
    const now = this.#now();
    const row = this.#db
      .prepare<[string, string, number, number], Row>(
        `SELECT * FROM appointments WHERE patient_id = ? AND clinician_id = ? AND status = 'booked'
           AND starts_at <= ? AND starts_at + minutes * 60000 > ? ORDER BY starts_at LIMIT 1`,
      )
      .get(patientId, clinicianId, now + JOIN_EARLY_MS, now);
    return row && toAppointment(row);
  }

  /** The consultation took place; undefined when it was not booked (already settled, or cancelled). */
  fulfil(id: string): Appointment | undefined {
    const done = this.#db
      .prepare(`UPDATE appointments SET status = 'done', settled_at = ? WHERE id = ? AND status = 'booked'`)
      .run(this.#now(), id);
    return done.changes === 1 ? this.get(id) : undefined;
  }

  /** The booked consultations whose slot has ended become `missed`; returns them. */
  settleMissed(): Appointment[] {
    const now = this.#now();
    return this.#db.transaction(() => {
      const over = this.#db
        .prepare<[number], Row>(
          `SELECT * FROM appointments WHERE status = 'booked' AND starts_at + minutes * 60000 <= ? ORDER BY starts_at`,
        )
        .all(now);
      const settle = this.#db.prepare(`UPDATE appointments SET status = 'missed', settled_at = ? WHERE id = ?`);
      for (const row of over) settle.run(now, row.id);
      return over.map((row) => toAppointment({ ...row, status: 'missed', settled_at: now }));
    })();
  }

  close(): void {
    this.#db.close();
  }
}

function toAppointment(r: Row): Appointment {
  const status = APPOINTMENT_STATUSES.find((s) => s === r.status) ?? 'cancelled';
  return {
    id: r.id,
    patientId: r.patient_id,
    clinicianId: r.clinician_id,
    startsAt: r.starts_at,
    minutes: r.minutes,
    inviteFamily: r.invite_family === 1,
    reason: r.reason,
    status,
    bookedBy: r.booked_by,
    bookedAt: r.booked_at,
    cancelledBy: r.cancelled_by,
    cancelledAt: r.cancelled_at,
    settledAt: r.settled_at,
  };
}
