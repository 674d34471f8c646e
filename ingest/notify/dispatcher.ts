/**
 * Sends what the escalation put in the outbox, on every channel the recipient can be reached by, and
 * audits each delivery (who, what, when, channel). A channel that fails is retried with backoff; one
 * that delivered is not sent again. A message is done when every channel delivered or failed for good,
 * or after MAX_ATTEMPTS. Messages committed before a crash are sent after the restart.
 */
import type { Logger } from '../../common/log.ts';
import { hasRight, isStaff, type Lang } from '../../common/people-rules.ts';
import type { PeopleDirectory, Person } from '../../web/directory.ts';
import type { AlertRepository } from '../lifecycle/alert-store.ts';
import type { EscalationRepository, OutboxMessage } from '../lifecycle/escalation-store.ts';
import type { NotificationChannel } from './channel.ts';
import { composeMessage } from './messages.ts';

export const MAX_ATTEMPTS = 8;
const BACKOFF_MS = [5_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000];

export interface DispatcherOptions {
  readonly alerts: AlertRepository;
  readonly outbox: EscalationRepository;
  readonly people: PeopleDirectory;
  readonly channels: readonly NotificationChannel[];
  /** How the patient is named to this reader (common/identity-name.ts: the strict traits when recorded). */
  readonly patientName: (patientId: string, lang: Lang) => string;
  /** The page for an alert, for this recipient: a relative's family page, or the care team's console. */
  readonly linkFor: (alert: { readonly id: number; readonly patientId: string }, person: Person) => string;
  readonly logger: Logger;
  readonly onDelivery?: (channel: string, ok: boolean) => void;
  /** After a message to someone was tried (its deliveries are in the alert's audit). */
  readonly onSent?: (alertId: number) => void;
}

export class Dispatcher {
  readonly #o: DispatcherOptions;
  #busy: Promise<void> | undefined;

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  get busy(): boolean {
    return this.#busy !== undefined;
  }

  /** Resolves when no pass is running. */
  async idle(): Promise<void> {
    await this.#busy?.catch(() => undefined);
  }

  /** Sends everything due at `now`; concurrent calls share one pass. */
  run(now: number): Promise<void> {
    this.#busy ??= this.#pass(now).finally(() => (this.#busy = undefined));
    return this.#busy;
  }

  async #pass(now: number): Promise<void> {
    for (;;) {
      const batch = this.#o.outbox.pending(now, 50);
      for (const m of batch) await this.#send(m, now);
      if (batch.length < 50) return;
    }
  }

  async #send(m: OutboxMessage, now: number): Promise<void> {
    const { alerts, outbox, people, logger } = this.#o;
    const alert = alerts.get(m.alertId);
    const person = people.person(m.personId);
    if (!alert || !person) {
      logger.warn({ alertId: m.alertId, personId: m.personId }, 'notification for an unknown alert or person; dropped');
      outbox.attempted(m.id, m.delivered, { done: true, at: now });
      return;
    }
    if (!people.mayBeAlerted(person.id, alert.patientId)) {
      // A chain step who left the care team, lost their link or whose account was disabled is not told.
      alerts.addAudit(alert.id, {
        at: now,
        actor: 'system',
        action: 'not notified: no access',
        channel: 'escalation',
        detail: { to: person.id, kind: m.kind },
      });
      logger.warn({ alertId: alert.id, personId: person.id }, 'not notified: no longer has access to the patient');
      outbox.attempted(m.id, m.delivered, { done: true, at: now });
      return;
    }
    const owner = alert.assignee ? people.person(alert.assignee) : undefined;
    const message = composeMessage({
      alert,
      kind: m.kind,
      lang: person.lang,
      patientName: this.#o.patientName(alert.patientId, person.lang),
      url: this.#o.linkFor(alert, person),
      // Vital values only to a care-team role with the `vitals` right, or a relative by the patient's consent.
      vitals: isStaff(person.role)
        ? hasRight(person.role, 'vitals')
        : (people.linkOf(person.id, alert.patientId)?.shareVitals ?? false),
      ...(owner ? { ownerName: owner.name } : {}),
    });
    const recipient = { person, pushSubscriptions: people.pushSubscriptions(person.id) };
    const delivered = [...m.delivered];
    let retry = false;
    for (const channel of this.#o.channels.filter((c) => !m.delivered.includes(c.name))) {
      let results;
      try {
        results = await channel.send(recipient, message);
      } catch (error) {
        results = [{ address: '?', ok: false, error: String(error) }];
      }
      for (const r of results) {
        this.#o.onDelivery?.(channel.name, r.ok);
        alerts.addAudit(alert.id, {
          at: now,
          actor: 'system',
          // Stable words (the pages translate them); who and what are in the detail.
          action: r.ok ? 'notified' : 'notification failed',
          channel: channel.name,
          detail: {
            to: person.id,
            address: r.address,
            kind: m.kind,
            attempt: m.attempts + 1,
            ...(r.error ? { error: r.error } : {}),
          },
        });
        if (!r.ok)
          logger.warn(
            {
              alertId: alert.id,
              personId: person.id,
              channel: channel.name,
              error: r.error,
              permanent: r.permanent ?? false,
            },
            'notification failed',
          );
      }
      if (results.length > 0 && results.some((r) => r.ok)) {
        delivered.push(channel.name);
        outbox.progress(m.id, delivered); // at once: a crash now does not send this channel again
      } else if (results.some((r) => !r.permanent)) retry = true;
    }
    if (delivered.length === 0 && !retry) {
      alerts.addAudit(alert.id, {
        at: now,
        actor: 'system',
        action: 'unreachable',
        channel: 'escalation',
        detail: { to: person.id, kind: m.kind },
      });
    }
    if (retry && m.attempts + 1 < MAX_ATTEMPTS) {
      outbox.attempted(m.id, delivered, {
        done: false,
        retryAt: now + BACKOFF_MS[Math.min(m.attempts, BACKOFF_MS.length - 1)]!,
      });
    } else {
      outbox.attempted(m.id, delivered, { done: true, at: now });
    }
    this.#o.onSent?.(alert.id);
  }
}
