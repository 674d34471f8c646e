/**
 * Durable escalation state and the notification outbox, in the alert store's SQLite file and
 * transactions: a step, the messages it sends and its audit entry are committed together, so after a
 * crash the chain resumes at the step it had reached (none skipped, none repeated) and the messages
 * already committed are still sent.
 */
import type Database from 'better-sqlite3';
import { migrate, type Migration } from '../../common/migrate.ts';
import type { EscalationChain } from '../../web/directory.ts';

export type EscalationState = 'notifying' | 'accepted' | 'arrived' | 'stopped';

export interface Escalation {
  readonly alertId: number;
  readonly patientId: string;
  readonly state: EscalationState;
  /** The chain as it was when the alert escalated (later edits apply to later alerts). */
  readonly chain: Pick<EscalationChain, 'steps' | 'arrivalTimeoutMs'>;
  /** Index of the last step notified (-1: none yet). */
  readonly step: number;
  /** How many times the whole chain has been gone through without anyone accepting. */
  readonly round: number;
  /** When the next step (or the arrival check) is due. */
  readonly nextAt: number | null;
  readonly owner: string | null;
  readonly acceptedAt: number | null;
  readonly arrivedAt: number | null;
  /** Everyone notified so far, in order (told when someone accepts or the alert closes). */
  readonly notified: readonly string[];
}

export type MessageKind = 'alert' | 'reminder' | 'accepted' | 'arrival-overdue' | 'closed';

export interface OutboxMessage {
  readonly id: number;
  readonly alertId: number;
  readonly personId: string;
  readonly kind: MessageKind;
  readonly createdAt: number;
  readonly attempts: number;
  readonly nextTryAt: number;
  /** Channels already delivered (not sent again on a retry). */
  readonly delivered: readonly string[];
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS escalations (
  alert_id INTEGER PRIMARY KEY REFERENCES lifecycle_alerts(id), patient_id TEXT NOT NULL, state TEXT NOT NULL,
  chain TEXT NOT NULL, step INTEGER NOT NULL, round INTEGER NOT NULL, next_at INTEGER,
  owner TEXT, accepted_at INTEGER, arrived_at INTEGER, notified TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS escalations_due ON escalations(next_at) WHERE next_at IS NOT NULL;
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, alert_id INTEGER NOT NULL REFERENCES lifecycle_alerts(id), person_id TEXT NOT NULL,
  kind TEXT NOT NULL, created_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_try_at INTEGER NOT NULL,
  delivered TEXT NOT NULL DEFAULT '[]', done_at INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(next_try_at) WHERE done_at IS NULL;
`;

/** Exported for the upgrade tests. In the alert lifecycle's file, after its owner's steps (it refers to its alerts). */
export const ESCALATION_MIGRATIONS: readonly Migration[] = [SCHEMA];

interface EscalationRow {
  alert_id: number;
  patient_id: string;
  state: string;
  chain: string;
  step: number;
  round: number;
  next_at: number | null;
  owner: string | null;
  accepted_at: number | null;
  arrived_at: number | null;
  notified: string;
}
interface OutboxRow {
  id: number;
  alert_id: number;
  person_id: string;
  kind: string;
  created_at: number;
  attempts: number;
  next_try_at: number;
  delivered: string;
}

const STATES: readonly EscalationState[] = ['notifying', 'accepted', 'arrived', 'stopped'];
const KINDS: readonly MessageKind[] = ['alert', 'reminder', 'accepted', 'arrival-overdue', 'closed'];

const toEscalation = (r: EscalationRow): Escalation => ({
  alertId: r.alert_id,
  patientId: r.patient_id,
  state: STATES.find((s) => s === r.state) ?? 'stopped',
  chain: JSON.parse(r.chain) as Escalation['chain'],
  step: r.step,
  round: r.round,
  nextAt: r.next_at,
  owner: r.owner,
  acceptedAt: r.accepted_at,
  arrivedAt: r.arrived_at,
  notified: JSON.parse(r.notified) as string[],
});
const toMessage = (r: OutboxRow): OutboxMessage => ({
  id: r.id,
  alertId: r.alert_id,
  personId: r.person_id,
  kind: KINDS.find((k) => k === r.kind) ?? 'alert',
  createdAt: r.created_at,
  attempts: r.attempts,
  nextTryAt: r.next_try_at,
  delivered: JSON.parse(r.delivered) as string[],
});

export interface EscalationRepository {
  escalation(alertId: number): Escalation | undefined;
  save(e: Escalation): void;
  due(now: number): Escalation[];
  nextDue(): number | undefined;
  enqueue(alertId: number, personId: string, kind: MessageKind, at: number): void;
  pending(now: number, limit: number): OutboxMessage[];
  nextPending(): number | undefined;
  /** Records a channel delivered while the message is still being sent on others. */
  progress(id: number, delivered: readonly string[]): void;
  /** Records a try: the channels now delivered, and either done or the next try's time. */
  attempted(
    id: number,
    delivered: readonly string[],
    next: { done: true; at: number } | { done: false; retryAt: number },
  ): void;
}

export class SqliteEscalationRepository implements EscalationRepository {
  readonly #db: Database.Database;

  /** Shares the alert store's connection, so that its transactions cover both. */
  constructor(db: Database.Database) {
    this.#db = db;
    migrate(db, 'escalations', ESCALATION_MIGRATIONS);
  }

  escalation(alertId: number): Escalation | undefined {
    const row = this.#db.prepare<[number], EscalationRow>('SELECT * FROM escalations WHERE alert_id = ?').get(alertId);
    return row && toEscalation(row);
  }

  save(e: Escalation): void {
    this.#db
      .prepare(
        `INSERT INTO escalations (alert_id, patient_id, state, chain, step, round, next_at, owner, accepted_at, arrived_at, notified)
                VALUES (@alertId, @patientId, @state, @chain, @step, @round, @nextAt, @owner, @acceptedAt, @arrivedAt, @notified)
                ON CONFLICT(alert_id) DO UPDATE SET state = excluded.state, step = excluded.step, round = excluded.round, next_at = excluded.next_at,
                  owner = excluded.owner, accepted_at = excluded.accepted_at, arrived_at = excluded.arrived_at, notified = excluded.notified`,
      )
      .run({ ...e, chain: JSON.stringify(e.chain), notified: JSON.stringify(e.notified) });
  }

  due(now: number): Escalation[] {
    return this.#db
      .prepare<[number], EscalationRow>(
        'SELECT * FROM escalations WHERE next_at IS NOT NULL AND next_at <= ? ORDER BY next_at',
      )
      .all(now)
      .map(toEscalation);
  }

  nextDue(): number | undefined {
    return (
      this.#db
        .prepare<[], { t: number | null }>('SELECT min(next_at) AS t FROM escalations WHERE next_at IS NOT NULL')
        .get()?.t ?? undefined
    );
  }

  enqueue(alertId: number, personId: string, kind: MessageKind, at: number): void {
    this.#db
      .prepare('INSERT INTO outbox (alert_id, person_id, kind, created_at, next_try_at) VALUES (?, ?, ?, ?, ?)')
      .run(alertId, personId, kind, at, at);
  }

  pending(now: number, limit: number): OutboxMessage[] {
    return this.#db
      .prepare<[number, number], OutboxRow>(
        'SELECT * FROM outbox WHERE done_at IS NULL AND next_try_at <= ? ORDER BY id LIMIT ?',
      )
      .all(now, limit)
      .map(toMessage);
  }

  nextPending(): number | undefined {
    return (
      this.#db.prepare<[], { t: number | null }>('SELECT min(next_try_at) AS t FROM outbox WHERE done_at IS NULL').get()
        ?.t ?? undefined
    );
  }

  progress(id: number, delivered: readonly string[]): void {
    this.#db.prepare('UPDATE outbox SET delivered = ? WHERE id = ?').run(JSON.stringify(delivered), id);
  }

  attempted(
    id: number,
    delivered: readonly string[],
    next: { done: true; at: number } | { done: false; retryAt: number },
  ): void {
    this.#db
      .prepare('UPDATE outbox SET attempts = attempts + 1, delivered = ?, done_at = ?, next_try_at = ? WHERE id = ?')
      .run(JSON.stringify(delivered), next.done ? next.at : null, next.done ? next.at : next.retryAt, id);
  }
}
