/**
 * Durable alert state behind a small interface: alerts (one open per patient and kind), their audit
 * trail, and the timers of the lifecycle (re-notification, escalation) as due times, so that after a
 * crash everything resumes where it was. SQLite by default (WAL, synchronous=FULL); another database
 * can implement the same interface.
 */
import type Database from 'better-sqlite3';
import type { AlertKind } from '../rules/engine.ts';
import type { Priority } from '../rules/priority.ts';
import type { Migration } from '../../common/migrate.ts';
import { openSqlite } from '../../common/sqlite.ts';

export type ClosedReason = 'cleared' | 'resolved' | 'cancelled';

export interface Alert {
  readonly id: number;
  readonly patientId: string;
  readonly kind: AlertKind;
  readonly priority: Priority;
  /** A fall is pending during its "I'm OK" window, then confirmed; every other alert is confirmed. */
  readonly status: 'pending' | 'confirmed';
  /** The condition is present (independent of acknowledgement). */
  readonly active: boolean;
  readonly acknowledgedBy: string | null;
  readonly acknowledgedAt: number | null;
  readonly assignee: string | null;
  readonly snoozedUntil: number | null;
  readonly openedAt: number;
  readonly updatedAt: number;
  readonly clearedAt: number | null;
  readonly closedAt: number | null;
  readonly closedReason: ClosedReason | null;
  readonly resolution: string | null;
  readonly lastNotifiedAt: number | null;
  readonly notifications: number;
  readonly detail: Readonly<Record<string, unknown>>;
}

export interface AuditEntry {
  readonly id: number;
  readonly alertId: number;
  readonly at: number;
  /** `system` for the rules and timers, else the person's id. */
  readonly actor: string;
  readonly action: string;
  /** How it happened or was sent: `rules`, `web`, `push`, `email`, ... */
  readonly channel: string;
  readonly detail: Readonly<Record<string, unknown>>;
}

export type AlertPatch = Partial<Omit<Alert, 'id' | 'patientId' | 'kind' | 'openedAt'>>;
export type NewAlert = Omit<Alert, 'id'>;

export interface AlertRepository {
  openAlert(patientId: string, kind: AlertKind): Alert | undefined;
  get(id: number): Alert | undefined;
  listOpen(patientIds?: readonly string[]): Alert[];
  /** Alerts opened since `since` (open or closed), for a timeline. */
  listSince(patientIds: readonly string[], since: number): Alert[];
  /** Writes the change and its audit entry atomically. */
  insert(alert: NewAlert, audit: Omit<AuditEntry, 'id' | 'alertId'>): Alert;
  update(id: number, patch: AlertPatch, audit: Omit<AuditEntry, 'id' | 'alertId'>): Alert;
  audit(alertId: number): AuditEntry[];
  addAudit(alertId: number, entry: Omit<AuditEntry, 'id' | 'alertId'>): void;
  /** Runs several writes as one transaction. */
  transaction<T>(work: () => T): T;
  close(): void;
}

interface AlertRow {
  id: number;
  patient_id: string;
  kind: string;
  priority: string;
  status: string;
  active: number;
  acknowledged_by: string | null;
  acknowledged_at: number | null;
  assignee: string | null;
  snoozed_until: number | null;
  opened_at: number;
  updated_at: number;
  cleared_at: number | null;
  closed_at: number | null;
  closed_reason: string | null;
  resolution: string | null;
  last_notified_at: number | null;
  notifications: number;
  detail: string;
}
interface AuditRow {
  id: number;
  alert_id: number;
  at: number;
  actor: string;
  action: string;
  channel: string;
  detail: string;
}

const COLUMNS: Record<keyof AlertPatch, string> = {
  priority: 'priority',
  status: 'status',
  active: 'active',
  acknowledgedBy: 'acknowledged_by',
  acknowledgedAt: 'acknowledged_at',
  assignee: 'assignee',
  snoozedUntil: 'snoozed_until',
  updatedAt: 'updated_at',
  clearedAt: 'cleared_at',
  closedAt: 'closed_at',
  closedReason: 'closed_reason',
  resolution: 'resolution',
  lastNotifiedAt: 'last_notified_at',
  notifications: 'notifications',
  detail: 'detail',
};

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lifecycle_alerts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  patient_id TEXT NOT NULL, kind TEXT NOT NULL, priority TEXT NOT NULL, status TEXT NOT NULL, active INTEGER NOT NULL,
  acknowledged_by TEXT, acknowledged_at INTEGER, assignee TEXT, snoozed_until INTEGER,
  opened_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, cleared_at INTEGER, closed_at INTEGER, closed_reason TEXT,
  resolution TEXT, last_notified_at INTEGER, notifications INTEGER NOT NULL DEFAULT 0, detail TEXT NOT NULL
);
-- One open alert per patient and kind: repeats update it.
CREATE UNIQUE INDEX IF NOT EXISTS lifecycle_one_open ON lifecycle_alerts (patient_id, kind) WHERE closed_at IS NULL;
CREATE TABLE IF NOT EXISTS lifecycle_audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  alert_id INTEGER NOT NULL REFERENCES lifecycle_alerts(id),
  at INTEGER NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, channel TEXT NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS lifecycle_audit_alert ON lifecycle_audit (alert_id, id);
CREATE INDEX IF NOT EXISTS lifecycle_opened ON lifecycle_alerts (opened_at);
`;

/** Exported for the upgrade tests. */
export const ALERT_LIFECYCLE_MIGRATIONS: readonly Migration[] = [SCHEMA];

function toAlert(r: AlertRow): Alert {
  return {
    id: r.id,
    patientId: r.patient_id,
    kind: r.kind as AlertKind, // written only by this store, from an AlertKind
    priority: r.priority as Priority,
    status: r.status === 'pending' ? 'pending' : 'confirmed',
    active: r.active === 1,
    acknowledgedBy: r.acknowledged_by,
    acknowledgedAt: r.acknowledged_at,
    assignee: r.assignee,
    snoozedUntil: r.snoozed_until,
    openedAt: r.opened_at,
    updatedAt: r.updated_at,
    clearedAt: r.cleared_at,
    closedAt: r.closed_at,
    closedReason: r.closed_reason as ClosedReason | null,
    resolution: r.resolution,
    lastNotifiedAt: r.last_notified_at,
    notifications: r.notifications,
    detail: JSON.parse(r.detail) as Record<string, unknown>,
  };
}

function toColumn(key: keyof AlertPatch, value: unknown): unknown {
  if (key === 'active') return value ? 1 : 0;
  if (key === 'detail') return JSON.stringify(value);
  return value;
}

export class SqliteAlertRepository implements AlertRepository {
  readonly #db: Database.Database;

  constructor(path: string) {
    this.#db = openSqlite(path, {
      synchronous: 'FULL',
      migrations: { owner: 'alert-lifecycle', steps: ALERT_LIFECYCLE_MIGRATIONS },
    }); // an alert's state survives a power loss
  }

  /** The connection, for the stores that share its transactions (escalations, outbox). */
  get database(): Database.Database {
    return this.#db;
  }

  /** Writes an audit entry on its own (a notification sent, an escalation step). */
  addAudit(alertId: number, entry: Omit<AuditEntry, 'id' | 'alertId'>): void {
    this.#audit(alertId, entry);
  }

  openAlert(patientId: string, kind: AlertKind): Alert | undefined {
    const row = this.#db
      .prepare<[string, string], AlertRow>(
        'SELECT * FROM lifecycle_alerts WHERE patient_id = ? AND kind = ? AND closed_at IS NULL',
      )
      .get(patientId, kind);
    return row && toAlert(row);
  }

  get(id: number): Alert | undefined {
    const row = this.#db.prepare<[number], AlertRow>('SELECT * FROM lifecycle_alerts WHERE id = ?').get(id);
    return row && toAlert(row);
  }

  listOpen(patientIds?: readonly string[]): Alert[] {
    const rows = this.#db
      .prepare<[], AlertRow>('SELECT * FROM lifecycle_alerts WHERE closed_at IS NULL ORDER BY opened_at')
      .all();
    const wanted = patientIds && new Set(patientIds);
    return rows.filter((r) => !wanted || wanted.has(r.patient_id)).map(toAlert);
  }

  listSince(patientIds: readonly string[], since: number): Alert[] {
    if (patientIds.length === 0) return [];
    // These patients' newest 5000 (not everyone's oldest 5000), in the order they were opened.
    return this.#db
      .prepare<unknown[], AlertRow>(
        `SELECT * FROM (SELECT * FROM lifecycle_alerts WHERE opened_at >= ? AND patient_id IN (${patientIds.map(() => '?').join(',')})
         ORDER BY opened_at DESC LIMIT 5000) ORDER BY opened_at`,
      )
      .all(since, ...patientIds)
      .map(toAlert);
  }

  insert(alert: NewAlert, audit: Omit<AuditEntry, 'id' | 'alertId'>): Alert {
    return this.transaction(() => {
      const info = this.#db
        .prepare(
          `INSERT INTO lifecycle_alerts (patient_id, kind, priority, status, active, acknowledged_by, acknowledged_at, assignee, snoozed_until, opened_at, updated_at, cleared_at, closed_at, closed_reason, resolution, last_notified_at, notifications, detail)
                  VALUES (@patientId, @kind, @priority, @status, @active, @acknowledgedBy, @acknowledgedAt, @assignee, @snoozedUntil, @openedAt, @updatedAt, @clearedAt, @closedAt, @closedReason, @resolution, @lastNotifiedAt, @notifications, @detail)`,
        )
        .run({ ...alert, active: alert.active ? 1 : 0, detail: JSON.stringify(alert.detail) });
      const id = Number(info.lastInsertRowid);
      this.#audit(id, audit);
      return this.get(id)!;
    });
  }

  update(id: number, patch: AlertPatch, audit: Omit<AuditEntry, 'id' | 'alertId'>): Alert {
    return this.transaction(() => {
      const keys = Object.keys(patch) as (keyof AlertPatch)[];
      if (keys.length > 0) {
        const sets = keys.map((k) => `${COLUMNS[k]} = ?`).join(', ');
        this.#db
          .prepare(`UPDATE lifecycle_alerts SET ${sets} WHERE id = ?`)
          .run(...keys.map((k) => toColumn(k, patch[k])), id);
      }
      this.#audit(id, audit);
      return this.get(id)!;
    });
  }

  audit(alertId: number): AuditEntry[] {
    return this.#db
      .prepare<[number], AuditRow>('SELECT * FROM lifecycle_audit WHERE alert_id = ? ORDER BY id')
      .all(alertId)
      .map((r) => ({
        id: r.id,
        alertId: r.alert_id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        channel: r.channel,
        detail: JSON.parse(r.detail) as Record<string, unknown>,
      }));
  }

  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  close(): void {
    this.#db.close();
  }

  #audit(alertId: number, a: Omit<AuditEntry, 'id' | 'alertId'>): void {
    this.#db
      .prepare('INSERT INTO lifecycle_audit (alert_id, at, actor, action, channel, detail) VALUES (?, ?, ?, ?, ?, ?)')
      .run(alertId, a.at, a.actor, a.action, a.channel, JSON.stringify(a.detail));
  }
}
