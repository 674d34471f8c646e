/**
 * What happens to an alert: conditions from the rules open, update, confirm, cancel or clear it;
 * people acknowledge, assign, snooze and resolve it. Acknowledged and cleared are independent
 * (active/cleared × unacknowledged/acknowledged). A high-priority alert latches: when its condition
 * ends it stays open until a person has acknowledged it. Unacknowledged alerts are re-notified at an
 * interval set by their priority, and a snooze holds that back exactly as long as asked. Every
 * transition is audited (who, what, when, channel). The clock comes in with every call.
 */
import type { Condition } from '../rules/engine.ts';
import { latches, rank, type Priority } from '../rules/priority.ts';
import type { Alert, AlertPatch, AlertRepository } from './alert-store.ts';
import { VigieError, type ErrorCode, type ErrorParams } from '../../common/errors.ts';

/** A person's action that cannot be done (the code says why: common/errors.ts). */
export class LifecycleError extends VigieError {
  override readonly name = 'LifecycleError';
  constructor(code: ErrorCode, message: string, params: ErrorParams = {}) {
    super(code, message, params);
  }
}

/** Re-notification interval of an unacknowledged alert, by priority (null: never). */
export const RENOTIFY_MS: Readonly<Record<Priority, number | null>> = {
  high: 2 * 60_000,
  medium: 10 * 60_000,
  low: null,
};
export const MAX_SNOOZE_MS = 24 * 60 * 60_000;

export type LifecycleEvent =
  | {
      readonly type:
        | 'opened'
        | 'updated'
        | 'confirmed'
        | 'cancelled'
        | 'cleared'
        | 'closed'
        | 'acknowledged'
        | 'assigned'
        | 'snoozed'
        | 'resolved';
      readonly alert: Alert;
    }
  | { readonly type: 'renotify'; readonly alert: Alert };

const SYSTEM = 'system';

export class AlertLifecycle {
  readonly #repo: AlertRepository;
  readonly #renotifyMs: Readonly<Record<Priority, number | null>>;

  constructor(repo: AlertRepository, options: { renotifyMs?: Readonly<Record<Priority, number | null>> } = {}) {
    this.#repo = repo;
    this.#renotifyMs = options.renotifyMs ?? RENOTIFY_MS;
  }

  /** Applies a condition from the rules engine. Returns what happened (nothing for a stale clear). */
  apply(c: Condition): LifecycleEvent | undefined {
    const open = this.#repo.openAlert(c.patientId, c.kind);
    const audit = (action: string) => ({ at: c.at, actor: SYSTEM, action, channel: 'rules', detail: c.detail });
    switch (c.change) {
      case 'raise':
      case 'update': {
        if (!open) {
          const alert = this.#repo.insert(
            {
              patientId: c.patientId,
              kind: c.kind,
              priority: c.priority,
              status: c.detail.status === 'pending' ? 'pending' : 'confirmed',
              active: true,
              acknowledgedBy: null,
              acknowledgedAt: null,
              assignee: null,
              snoozedUntil: null,
              openedAt: c.at,
              updatedAt: c.at,
              clearedAt: null,
              closedAt: null,
              closedReason: null,
              resolution: null,
              lastNotifiedAt: null,
              notifications: 0,
              detail: c.detail,
            },
            audit('opened'),
          );
          return { type: 'opened', alert };
        }
        // A repeat: the same alert, brought up to date (and back to active if it had cleared). Its
        // priority never drops while it is open: it is the worst the condition has been.
        const priority = rank(c.priority) > rank(open.priority) ? c.priority : open.priority;
        const alert = this.#repo.update(
          open.id,
          { priority, active: true, clearedAt: null, updatedAt: c.at, detail: { ...open.detail, ...c.detail } },
          audit(c.change === 'raise' ? 'repeated' : 'updated'),
        );
        return { type: 'updated', alert };
      }
      case 'confirm': {
        if (!open) return undefined;
        return {
          type: 'confirmed',
          alert: this.#repo.update(
            open.id,
            { status: 'confirmed', updatedAt: c.at, detail: { ...open.detail, ...c.detail, status: 'confirmed' } },
            audit('confirmed'),
          ),
        };
      }
      case 'cancel': {
        if (!open) return undefined;
        const alert = this.#repo.update(
          open.id,
          {
            active: false,
            clearedAt: c.at,
            closedAt: c.at,
            closedReason: 'cancelled',
            updatedAt: c.at,
            resolution: 'the wearer said "I\'m OK" in time',
          },
          audit('cancelled'),
        );
        return { type: 'cancelled', alert };
      }
      case 'clear': {
        if (!open || !open.active) return undefined;
        // Latched (high, not yet acknowledged): stays open, inactive, until a person handles it.
        const close = !latches(open.priority) || open.acknowledgedAt !== null;
        const patch: AlertPatch = close
          ? { active: false, clearedAt: c.at, closedAt: c.at, closedReason: 'cleared', updatedAt: c.at }
          : { active: false, clearedAt: c.at, updatedAt: c.at };
        const alert = this.#repo.update(open.id, patch, audit(close ? 'cleared and closed' : 'cleared (latched)'));
        return { type: close ? 'closed' : 'cleared', alert };
      }
      default:
        return assertNever(c.change);
    }
  }

  acknowledge(id: number, actor: string, at: number, channel = 'web'): LifecycleEvent {
    const alert = this.#openOrThrow(id);
    if (alert.acknowledgedAt !== null) return { type: 'acknowledged', alert };
    const closes = !alert.active;
    const patch: AlertPatch = {
      acknowledgedBy: actor,
      acknowledgedAt: at,
      updatedAt: at,
      ...(closes ? { closedAt: at, closedReason: 'cleared' as const } : {}),
    };
    return {
      type: closes ? 'closed' : 'acknowledged',
      alert: this.#repo.update(id, patch, {
        at,
        actor,
        action: closes ? 'acknowledged and closed' : 'acknowledged',
        channel,
        detail: {},
      }),
    };
  }

  assign(id: number, actor: string, assignee: string | null, at: number, channel = 'web'): LifecycleEvent {
    this.#openOrThrow(id);
    return {
      type: 'assigned',
      alert: this.#repo.update(
        id,
        { assignee, updatedAt: at },
        { at, actor, action: assignee ? 'assigned' : 'unassigned', channel, detail: { assignee } },
      ),
    };
  }

  /** Holds back re-notifications for `durationMs` exactly. */
  snooze(id: number, actor: string, durationMs: number, at: number, channel = 'web'): LifecycleEvent {
    this.#openOrThrow(id);
    if (!Number.isFinite(durationMs) || durationMs <= 0 || durationMs > MAX_SNOOZE_MS)
      throw new LifecycleError(
        'alert_invalid_action',
        `a snooze lasts between 1 ms and ${MAX_SNOOZE_MS / 3_600_000} hours`,
      );
    const until = at + durationMs;
    return {
      type: 'snoozed',
      alert: this.#repo.update(
        id,
        { snoozedUntil: until, updatedAt: at },
        { at, actor, action: 'snoozed', channel, detail: { until, durationMs } },
      ),
    };
  }

  /** A person closes the alert with a note (what was done). */
  resolve(id: number, actor: string, note: string, at: number, channel = 'web'): LifecycleEvent {
    const alert = this.#openOrThrow(id);
    const text = note.trim();
    if (!text) throw new LifecycleError('alert_invalid_action', 'say what was done: a resolution note is required');
    const patch: AlertPatch = {
      resolution: text,
      closedAt: at,
      closedReason: 'resolved',
      updatedAt: at,
      ...(alert.acknowledgedAt === null ? { acknowledgedBy: actor, acknowledgedAt: at } : {}),
    };
    return {
      type: 'resolved',
      alert: this.#repo.update(id, patch, { at, actor, action: 'resolved', channel, detail: { note: text } }),
    };
  }

  /** Unacknowledged open alerts whose re-notification is due at `now` (records that they were sent). */
  renotify(now: number): LifecycleEvent[] {
    const due = this.#repo.listOpen().filter((a) => this.#dueAt(a) !== undefined && this.#dueAt(a)! <= now);
    return due.map((a) => ({
      type: 'renotify' as const,
      alert: this.#repo.update(
        a.id,
        { lastNotifiedAt: now, notifications: a.notifications + 1 },
        { at: now, actor: SYSTEM, action: 're-notified', channel: 'rules', detail: { count: a.notifications + 1 } },
      ),
    }));
  }

  /** Records the first notification of an alert (the time re-notification counts from). */
  notified(id: number, at: number, channel: string): void {
    const a = this.#repo.get(id);
    if (!a) return;
    this.#repo.update(
      id,
      { lastNotifiedAt: at, notifications: a.notifications + 1 },
      { at, actor: SYSTEM, action: 'notified', channel, detail: {} },
    );
  }

  /** When `renotify` must next run, if any alert is waiting for one. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const a of this.#repo.listOpen()) {
      const due = this.#dueAt(a);
      if (due !== undefined) next = next === undefined ? due : Math.min(next, due);
    }
    return next;
  }

  #dueAt(a: Alert): number | undefined {
    const interval = this.#renotifyMs[a.priority];
    if (interval === null || a.acknowledgedAt !== null || a.closedAt !== null || a.lastNotifiedAt === null)
      return undefined;
    return Math.max(a.lastNotifiedAt + interval, a.snoozedUntil ?? 0);
  }

  #openOrThrow(id: number): Alert {
    const alert = this.#repo.get(id);
    if (!alert) throw new LifecycleError('alert_not_found', `no alert ${id}`);
    if (alert.closedAt !== null)
      throw new LifecycleError('alert_closed', `alert ${id} is already closed (${alert.closedReason})`);
    return alert;
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected change ${String(value)}`);
}
