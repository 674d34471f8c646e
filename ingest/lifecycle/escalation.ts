/**
 * Escalation of a confirmed high-priority alert along the patient's chain (e.g. daughter, son,
 * on-call nurse, emergency contact), each step after its delay, until someone accepts ("I'm on my
 * way"). The first to accept owns the alert; they confirm "help arrived" to close the loop, and if
 * they do not within the chain's arrival time the escalation goes on from the next step. If nobody
 * accepts, the chain starts over after `repeatMs`. Every step is one transaction with the messages it
 * sends and its audit entry (see escalation-store.ts); the clock comes in with every call.
 */
import type { EscalationChain } from '../../web/directory.ts';
import type { Alert, AlertRepository } from './alert-store.ts';
import type { Escalation, EscalationRepository, MessageKind } from './escalation-store.ts';
import { AlertLifecycle, LifecycleError, type LifecycleEvent } from './lifecycle.ts';

/** After the last step, how long before the chain is gone through again. */
export const DEFAULT_REPEAT_MS = 5 * 60_000;

const SYSTEM = 'system';

export class Escalations {
  readonly #alerts: AlertRepository;
  readonly #repo: EscalationRepository;
  readonly #lifecycle: AlertLifecycle;
  readonly #repeatMs: number;

  constructor(
    alerts: AlertRepository,
    repo: EscalationRepository,
    lifecycle: AlertLifecycle,
    options: { repeatMs?: number } = {},
  ) {
    this.#alerts = alerts;
    this.#repo = repo;
    this.#lifecycle = lifecycle;
    this.#repeatMs = options.repeatMs ?? DEFAULT_REPEAT_MS;
  }

  get(alertId: number): Escalation | undefined {
    return this.#repo.escalation(alertId);
  }

  /** Starts escalating an alert (once: a second call changes nothing). */
  start(alert: Alert, chain: EscalationChain, now: number): Escalation | undefined {
    return this.#alerts.transaction(() => {
      const existing = this.#repo.escalation(alert.id);
      if (existing) return existing;
      const snapshot = { steps: chain.steps, arrivalTimeoutMs: chain.arrivalTimeoutMs };
      if (chain.steps.length === 0) {
        this.#audit(alert.id, now, 'no escalation chain: the care team is notified on the console', {});
        const e: Escalation = {
          alertId: alert.id,
          patientId: alert.patientId,
          state: 'stopped',
          chain: snapshot,
          step: -1,
          round: 0,
          nextAt: null,
          owner: null,
          acceptedAt: null,
          arrivedAt: null,
          notified: [],
        };
        this.#repo.save(e);
        return e;
      }
      const first = chain.steps[0]!;
      const e: Escalation = {
        alertId: alert.id,
        patientId: alert.patientId,
        state: 'notifying',
        chain: snapshot,
        step: -1,
        round: 0,
        nextAt: now + first.delayMs,
        owner: null,
        acceptedAt: null,
        arrivedAt: null,
        notified: [],
      };
      this.#repo.save(e);
      this.#audit(alert.id, now, 'escalation started', { steps: chain.steps.length });
      return first.delayMs === 0 ? this.#advance(e, now) : e;
    });
  }

  /** Runs the steps and arrival checks that are due at `now`, in order of due time. */
  tick(now: number): Escalation[] {
    return this.#repo.due(now).map((e) =>
      this.#alerts.transaction(() => {
        const current = this.#repo.escalation(e.alertId)!;
        if (current.nextAt === null || current.nextAt > now) return current; // handled meanwhile
        if (current.state === 'accepted') {
          this.#audit(e.alertId, now, 'no arrival confirmed in time: escalating again', {
            owner: current.owner,
            arrivalTimeoutMs: current.chain.arrivalTimeoutMs,
          });
          if (current.owner) this.#repo.enqueue(e.alertId, current.owner, 'arrival-overdue', now);
          const ownerStep = current.chain.steps.findIndex((s) => s.personId === current.owner);
          return this.#advance(
            { ...current, state: 'notifying', owner: null, acceptedAt: null, step: Math.max(current.step, ownerStep) },
            now,
          );
        }
        if (current.state === 'notifying') return this.#advance(current, now);
        this.#repo.save({ ...current, nextAt: null });
        return current;
      }),
    );
  }

  /** "I'm on my way": the first to accept owns the alert (it is acknowledged and assigned to them). */
  accept(
    alertId: number,
    personId: string,
    now: number,
    channel = 'web',
  ): { escalation: Escalation | undefined; events: LifecycleEvent[] } {
    return this.#alerts.transaction(() => {
      const e = this.#repo.escalation(alertId);
      if (e?.owner && e.owner !== personId && e.state === 'accepted')
        throw new LifecycleError('alert_already_accepted', `already accepted by ${e.owner}`, { by: e.owner });
      if (e?.state === 'accepted' && e.owner === personId) return { escalation: e, events: [] };
      const events = [
        this.#lifecycle.acknowledge(alertId, personId, now, channel),
        this.#lifecycle.assign(alertId, personId, personId, now, channel),
      ];
      if (!e || e.state === 'stopped' || e.state === 'arrived') return { escalation: e, events };
      const accepted: Escalation = {
        ...e,
        state: 'accepted',
        owner: personId,
        acceptedAt: now,
        nextAt: now + e.chain.arrivalTimeoutMs,
      };
      this.#repo.save(accepted);
      this.#audit(
        alertId,
        now,
        'accepted: on the way',
        { by: personId, arrivalDueAt: accepted.nextAt },
        personId,
        channel,
      );
      for (const other of e.notified) if (other !== personId) this.#repo.enqueue(alertId, other, 'accepted', now);
      return { escalation: accepted, events };
    });
  }

  /** "Help arrived": closes the loop; the alert stays open until it is resolved with a note. */
  arrived(alertId: number, personId: string, now: number, channel = 'web'): Escalation {
    return this.#alerts.transaction(() => {
      const e = this.#repo.escalation(alertId);
      if (!e || e.state !== 'accepted')
        throw new LifecycleError('alert_accept_first', 'accept the alert ("I\'m on my way") before confirming arrival');
      if (e.owner !== personId)
        throw new LifecycleError('alert_not_owner', `only ${e.owner} (who accepted) can confirm arrival`, {
          by: e.owner ?? '',
        });
      const arrived: Escalation = { ...e, state: 'arrived', arrivedAt: now, nextAt: null };
      this.#repo.save(arrived);
      this.#audit(
        alertId,
        now,
        'help arrived',
        { by: personId, minutes: Math.round((now - (e.acceptedAt ?? now)) / 60_000) },
        personId,
        channel,
      );
      return arrived;
    });
  }

  /** The alert is closed (resolved, cancelled, cleared): stop, and tell those who were notified. */
  stop(alertId: number, now: number): void {
    this.#alerts.transaction(() => {
      const e = this.#repo.escalation(alertId);
      if (!e || e.state === 'stopped') return;
      this.#repo.save({ ...e, state: 'stopped', nextAt: null });
      this.#audit(alertId, now, 'escalation stopped: the alert is closed', {});
      for (const person of e.notified) this.#repo.enqueue(alertId, person, 'closed', now);
    });
  }

  nextDeadline(): number | undefined {
    return this.#repo.nextDue();
  }

  /** Notifies the next step (or starts the chain over) and schedules the one after. */
  #advance(e: Escalation, now: number): Escalation {
    const steps = e.chain.steps;
    let { step, round } = e;
    if (step + 1 >= steps.length) {
      step = -1;
      round += 1;
    }
    step += 1;
    const person = steps[step]!.personId;
    const kind: MessageKind = round > 0 || e.notified.includes(person) ? 'reminder' : 'alert';
    this.#repo.enqueue(e.alertId, person, kind, now);
    const following = steps[step + 1];
    const nextAt = now + (following ? following.delayMs : this.#repeatMs);
    const next: Escalation = {
      ...e,
      state: 'notifying',
      step,
      round,
      nextAt,
      notified: e.notified.includes(person) ? e.notified : [...e.notified, person],
    };
    this.#repo.save(next);
    this.#audit(e.alertId, now, 'escalation step', { to: person, step: step + 1, steps: steps.length, round, nextAt });
    return next;
  }

  #audit(
    alertId: number,
    at: number,
    action: string,
    detail: Record<string, unknown>,
    actor = SYSTEM,
    channel = 'escalation',
  ): void {
    this.#alerts.addAudit(alertId, { at, actor, action, channel, detail });
  }
}
