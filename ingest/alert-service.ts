/**
 * The alert engine as a service: the rules turn what devices say into conditions, the lifecycle
 * keeps one durable alert per (patient, kind), confirmed high-priority alerts escalate along the
 * patient's chain, and the dispatcher sends what the escalation decided. Every change is published
 * (the web service relays it live). One timer, armed at the earliest deadline of all of them, makes
 * timed alerts, re-notifications and escalation steps happen when configured. After a restart it
 * resumes from the durable store: pending falls, raised rules, escalations and unsent messages.
 */
import type { Lang } from '../common/people-rules.ts';
import { join } from 'node:path';
import type { DeviceEvent, VitalSample } from '../devices/payloads.ts';
import type { AlertAction, AlertView, AuditView } from '../common/alert-api.ts';
import type { Logger } from '../common/log.ts';
import type { PeopleDirectory, Person } from '../web/directory.ts';
import { DEFAULT_RULES, RulesEngine, type Condition, type PatientRules } from './rules/engine.ts';
import { SqliteAlertRepository, type Alert } from './lifecycle/alert-store.ts';
import { SqliteEscalationRepository, type Escalation } from './lifecycle/escalation-store.ts';
import { Escalations } from './lifecycle/escalation.ts';
import { AlertLifecycle, LifecycleError, type LifecycleEvent } from './lifecycle/lifecycle.ts';
import type { Priority } from './rules/priority.ts';
import type { NotificationChannel } from './notify/channel.ts';
import { Dispatcher } from './notify/dispatcher.ts';

export interface AlertServiceOptions {
  readonly dir: string;
  readonly people: PeopleDirectory;
  readonly channels: readonly NotificationChannel[];
  readonly patientIds: () => readonly string[];
  /** How the patient is named to this reader (common/identity-name.ts: the strict traits when recorded). */
  readonly patientName: (patientId: string, lang: Lang) => string;
  /** The page for an alert, in a notification to this person (dispatcher.ts). */
  readonly linkFor: (alert: { readonly id: number; readonly patientId: string }, person: Person) => string;
  /** Every alert change, for the live channel. */
  readonly publish: (alert: AlertView) => void;
  readonly logger: Logger;
  readonly rulesFor?: (patientId: string) => PatientRules;
  readonly renotifyMs?: Readonly<Record<Priority, number | null>>;
  readonly escalationRepeatMs?: number;
  readonly clock?: () => number;
  readonly onDelivery?: (channel: string, ok: boolean) => void;
}

/** The longest the timer sleeps, so that a clock change or a missed wake-up costs at most this. */
const MAX_SLEEP_MS = 30_000;

export class AlertService {
  readonly #o: AlertServiceOptions;
  readonly #repo: SqliteAlertRepository;
  readonly #escRepo: SqliteEscalationRepository;
  readonly #engine: RulesEngine;
  readonly #lifecycle: AlertLifecycle;
  readonly #escalations: Escalations;
  readonly #dispatcher: Dispatcher;
  #timer: NodeJS.Timeout | undefined;
  #armSoon: NodeJS.Immediate | undefined;
  #stopped = false;

  constructor(options: AlertServiceOptions) {
    this.#o = options;
    this.#repo = new SqliteAlertRepository(join(options.dir, 'alert-lifecycle.db'));
    this.#escRepo = new SqliteEscalationRepository(this.#repo.database);
    this.#engine = new RulesEngine(options.rulesFor ?? (() => DEFAULT_RULES));
    this.#lifecycle = new AlertLifecycle(this.#repo, options.renotifyMs ? { renotifyMs: options.renotifyMs } : {});
    this.#escalations = new Escalations(
      this.#repo,
      this.#escRepo,
      this.#lifecycle,
      options.escalationRepeatMs ? { repeatMs: options.escalationRepeatMs } : {},
    );
    this.#dispatcher = new Dispatcher({
      alerts: this.#repo,
      outbox: this.#escRepo,
      people: options.people,
      channels: options.channels,
      patientName: options.patientName,
      linkFor: options.linkFor,
      logger: options.logger,
      ...(options.onDelivery ? { onDelivery: options.onDelivery } : {}),
      // The console shows who was told, and how, as it happens.
      onSent: (alertId) => {
        const alert = this.#repo.get(alertId);
        if (alert) this.#o.publish(this.#view(alert));
      },
    });
  }

  readonly #now = (): number => (this.#o.clock ?? Date.now)();

  /** Restores the rules' state from the open alerts, starts the stale-data clocks, arms the timer. */
  start(): void {
    const now = this.#now();
    for (const alert of this.#repo.listOpen()) if (alert.active) this.#engine.restoreActive(alert, now);
    for (const id of this.#o.patientIds()) this.#engine.watch(id, now);
    const open = this.#repo.listOpen().length;
    if (open > 0) this.#o.logger.info({ open }, 'alert engine resumed with open alerts');
    this.#fire();
  }

  /** Stops the timers and lets the notifications being sent finish, so their outcome is recorded. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (this.#armSoon) clearImmediate(this.#armSoon);
    await this.#dispatcher.idle();
    this.#repo.close();
  }

  vitals(patientId: string, samples: readonly VitalSample[]): void {
    const now = this.#now();
    const conditions = samples.flatMap((s) => this.#engine.vitals(patientId, s, now));
    if (conditions.length > 0) this.#apply(conditions);
  }

  /** Applied before the device's message is acknowledged: a fall or SOS is durable when this returns. */
  event(patientId: string, event: DeviceEvent): void {
    this.#apply(this.#engine.event(patientId, event, this.#now()));
    this.#rearm();
  }

  presence(patientId: string, online: boolean): void {
    this.#apply(this.#engine.presence(patientId, online, this.#now()));
    this.#rearm();
  }

  list(patientIds?: readonly string[], since?: number): AlertView[] {
    const alerts =
      since === undefined ? this.#repo.listOpen(patientIds) : this.#repo.listSince(patientIds ?? [], since);
    return alerts.map((a) => this.#view(a));
  }

  get(id: number): { alert: AlertView; audit: AuditView[] } | undefined {
    const alert = this.#repo.get(id);
    return (
      alert && {
        alert: this.#view(alert),
        audit: this.#repo
          .audit(id)
          .map(({ at, actor, action, channel, detail }) => ({ at, actor, action, channel, detail })),
      }
    );
  }

  /** A person's action; throws LifecycleError (its code says why). */
  act(id: number, actor: string, action: AlertAction, channel: string): AlertView {
    const now = this.#now();
    let events: LifecycleEvent[];
    switch (action.action) {
      case 'acknowledge':
        events = [this.#lifecycle.acknowledge(id, actor, now, channel)];
        break;
      case 'accept':
        events = this.#escalations.accept(id, actor, now, channel).events;
        break;
      case 'arrived':
        this.#escalations.arrived(id, actor, now, channel);
        events = [];
        break;
      case 'resolve':
        events = [this.#lifecycle.resolve(id, actor, action.note, now, channel)];
        break;
      case 'snooze':
        events = [this.#lifecycle.snooze(id, actor, action.minutes * 60_000, now, channel)];
        break;
      case 'assign':
        events = [this.#lifecycle.assign(id, actor, action.assignee, now, channel)];
        break;
      default:
        return assertNever(action);
    }
    for (const e of events) this.#after(e, now);
    const alert = this.#repo.get(id);
    if (!alert) throw new LifecycleError('alert_not_found', `no alert ${id}`);
    const view = this.#view(alert);
    this.#o.publish(view);
    this.#rearm();
    return view;
  }

  #apply(conditions: readonly Condition[]): void {
    for (const c of conditions) {
      const event = this.#lifecycle.apply(c);
      if (!event) continue;
      this.#o.logger.info(
        {
          alertId: event.alert.id,
          patientId: c.patientId,
          kind: c.kind,
          change: event.type,
          priority: event.alert.priority,
        },
        'alert change',
      );
      this.#after(event, c.at);
      this.#o.publish(this.#view(this.#repo.get(event.alert.id) ?? event.alert));
    }
  }

  /** What follows a change: the care team is told (re-notification starts), escalation starts or stops. */
  #after(event: LifecycleEvent, now: number): void {
    const alert = event.alert;
    if (event.type === 'opened') this.#lifecycle.notified(alert.id, now, 'console');
    if (alert.closedAt !== null) {
      this.#escalations.stop(alert.id, now);
      return;
    }
    if (alert.status !== 'confirmed' || this.#escalations.get(alert.id)) return;
    const chain = this.#o.people.chain(alert.patientId);
    if (alert.priority === 'high') {
      this.#escalations.start(alert, chain, now);
    } else if (event.type === 'opened' && chain.steps[0]) {
      // Medium and low alerts are for information: the first person of the chain is told once.
      this.#escRepo.enqueue(alert.id, chain.steps[0].personId, 'alert', now);
    }
    this.#rearm();
  }

  /**
   * Re-notification of an unacknowledged alert: the console is told again (the live channel), and
   * an alert that does not escalate (medium) reminds the first person of the chain; an escalating one
   * has its own reminders.
   */
  #renotify(alert: Alert, now: number): void {
    const escalation = this.#escalations.get(alert.id);
    const first = this.#o.people.chain(alert.patientId).steps[0];
    if (!escalation && first) this.#escRepo.enqueue(alert.id, first.personId, 'reminder', now);
    this.#o.publish(this.#view(alert));
  }

  #view(a: Alert): AlertView {
    const e: Escalation | undefined = this.#escalations.get(a.id);
    return {
      id: a.id,
      patientId: a.patientId,
      kind: a.kind,
      priority: a.priority,
      status: a.status,
      active: a.active,
      acknowledgedBy: a.acknowledgedBy,
      acknowledgedAt: a.acknowledgedAt,
      assignee: a.assignee,
      snoozedUntil: a.snoozedUntil,
      openedAt: a.openedAt,
      updatedAt: a.updatedAt,
      clearedAt: a.clearedAt,
      closedAt: a.closedAt,
      closedReason: a.closedReason,
      resolution: a.resolution,
      lastNotifiedAt: a.lastNotifiedAt,
      notifications: a.notifications,
      detail: a.detail,
      escalation: e
        ? {
            state: e.state,
            step: e.step,
            steps: e.chain.steps.length,
            owner: e.owner,
            acceptedAt: e.acceptedAt,
            arrivedAt: e.arrivedAt,
            arrivalDueAt: e.state === 'accepted' ? e.nextAt : null,
            notified: [...e.notified],
          }
        : null,
    };
  }

  /** Re-arms the timer once the current burst of work is done (deadlines may have moved earlier). */
  #rearm(): void {
    if (this.#stopped || this.#armSoon) return;
    this.#armSoon = setImmediate(() => {
      this.#armSoon = undefined;
      this.#arm();
    });
  }

  #arm(): void {
    if (this.#stopped) return;
    clearTimeout(this.#timer);
    // While the dispatcher is sending, its pending messages are its business (it re-arms when done).
    const outbox = this.#dispatcher.busy ? undefined : this.#escRepo.nextPending();
    const deadlines = [
      this.#engine.nextDeadline(),
      this.#lifecycle.nextDeadline(),
      this.#escalations.nextDeadline(),
      outbox,
    ].filter((d): d is number => d !== undefined);
    const wait = deadlines.length > 0 ? Math.max(0, Math.min(...deadlines) - this.#now()) : MAX_SLEEP_MS;
    this.#timer = setTimeout(() => this.#fire(), Math.min(wait, MAX_SLEEP_MS));
  }

  #fire(): void {
    if (this.#stopped) return;
    const now = this.#now();
    try {
      this.#apply(this.#engine.tick(now));
      for (const e of this.#lifecycle.renotify(now)) this.#renotify(e.alert, now);
      for (const e of this.#escalations.tick(now)) {
        const alert = this.#repo.get(e.alertId);
        if (alert) this.#o.publish(this.#view(alert));
      }
    } catch (error) {
      this.#o.logger.error({ error: String(error) }, 'alert timers failed; retrying at the next deadline');
    }
    // Slow channels (an SMTP server timing out) must not hold back the next escalation step.
    if (this.#escRepo.nextPending() !== undefined && !this.#dispatcher.busy) {
      this.#dispatcher.run(now).then(
        () => this.#rearm(),
        (error: unknown) => {
          this.#o.logger.error({ error: String(error) }, 'sending notifications failed');
          this.#rearm();
        },
      );
    }
    this.#arm();
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unexpected action ${JSON.stringify(value)}`);
}
