/**
 * Every change made to the care organisation's set-up (patients and their identity, watches, staff
 * accounts, teams, escalation chains, thresholds, invitations, sign-in rules): who made it, what it
 * was (one code of CHANGE_ACTIONS with a few named values, never a secret), when, and for which
 * patient. Administrators read all of it; the care team reads the changes about one of their patients.
 *
 * Stored in the people database (the web service owns it), table `changes` (migration in
 * web/people.ts). Kept as long as the organisation exists: it is the trace the identity-vigilance
 * and security frameworks ask for.
 */
import type Database from 'better-sqlite3';
import { migrate } from '../common/migrate.ts';
import { PEOPLE_MIGRATIONS } from './people.ts';
import { openSqlite } from '../common/sqlite.ts';
import { CHANGE_ACTIONS, changeDetailSchema, type ChangeAction, type ChangeDetail } from './api/schemas.ts';

/** The most entries one page of the log holds. */
export const CHANGES_PER_PAGE = 50;

export interface Change {
  readonly id: number;
  readonly at: number;
  readonly actorId: string;
  /** The author's name today (their id when the account is gone). */
  readonly actor: string;
  readonly patientId: string | null;
  readonly action: ChangeAction;
  readonly detail: ChangeDetail;
}

interface Row {
  id: number;
  at: number;
  actor_id: string;
  name: string | null;
  patient_id: string | null;
  action: string;
  detail: string;
}

export class ChangeLog {
  readonly #db: Database.Database;
  readonly #now: () => number;

  private constructor(db: Database.Database, now: () => number) {
    this.#db = db;
    this.#now = now;
  }

  /** Opens the people database at `path` (its migrations run first, whoever opens it first). */
  static open(path: string, o: { now?: () => number } = {}): ChangeLog {
    const db = openSqlite(path, { synchronous: 'FULL' });
    migrate(db, 'people', PEOPLE_MIGRATIONS);
    return new ChangeLog(db, o.now ?? Date.now);
  }

  /** Keeps one change, made by `actorId` now. */
  record(
    actorId: string,
    action: ChangeAction,
    change: { patientId?: string | null; detail?: ChangeDetail } = {},
  ): void {
    this.#db
      .prepare('INSERT INTO changes (at, actor_id, patient_id, action, detail) VALUES (?, ?, ?, ?, ?)')
      .run(this.#now(), actorId, change.patientId ?? null, action, JSON.stringify(change.detail ?? {}));
  }

  /** Newest first; `before` (an entry's id) pages back. */
  list(filter: { patientId?: string; actorId?: string; before?: number }, limit = CHANGES_PER_PAGE): Change[] {
    const where = ['c.id < ?'];
    const args: Array<string | number> = [filter.before ?? Number.MAX_SAFE_INTEGER];
    if (filter.patientId !== undefined) {
      where.push('c.patient_id = ?');
      args.push(filter.patientId);
    }
    if (filter.actorId !== undefined) {
      where.push('c.actor_id = ?');
      args.push(filter.actorId);
    }
    return this.#db
      .prepare<Array<string | number>, Row>(
        `SELECT c.*, p.name FROM changes c LEFT JOIN people p ON p.id = c.actor_id WHERE ${where.join(' AND ')} ORDER BY c.id DESC LIMIT ?`,
      )
      .all(...args, limit)
      .flatMap(toChange);
  }

  close(): void {
    this.#db.close();
  }
}

/** A row as a change; a row of a code this version does not know is left out rather than misread. */
function toChange(r: Row): Change[] {
  const action = CHANGE_ACTIONS.find((a) => a === r.action);
  const detail = changeDetailSchema.safeParse(JSON.parse(r.detail));
  if (!action || !detail.success) return [];
  return [
    {
      id: r.id,
      at: r.at,
      actorId: r.actor_id,
      actor: r.name ?? r.actor_id,
      patientId: r.patient_id,
      action,
      detail: detail.data,
    },
  ];
}
