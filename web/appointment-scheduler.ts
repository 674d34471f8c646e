/**
 * What happens to a scheduled consultation with time alone: its reminders leave when they are due
 * (web/appointments.ts REMINDERS says when, and why), and a slot that ended without the patient becomes
 * `missed`. Driven by the appointments store's clock: `tick()` does what is due now (tests move the
 * clock, then tick); `start()` ticks every `everyMs`.
 *
 * A reminder is marked sent in the store before it is handed to the ingest, and unmarked if the ingest
 * cannot take it (it is tried again at the next tick): a restart never sends one twice, and only a
 * crash between the mark and the ingest's answer (a few milliseconds) could lose one.
 */
import type { Logger } from '../common/log.ts';
import type { AppointmentInvitationRequest, AppointmentMessageKind } from '../common/alert-api.ts';
import type { AlertsClient } from './alerts-client.ts';
import type { Appointments, Appointment, ReminderKind } from './appointments.ts';
import type { ChangeLog } from './change-log.ts';
import type { People } from './people.ts';
import { isInvited } from './calls.ts';

/** The change log's author of what Vigie does by itself (a consultation missed). */
export const AUTOMATIC_ACTOR = 'Vigie';

const MESSAGE_OF: Record<ReminderKind, AppointmentMessageKind> = { day: 'reminder', soon: 'starting' };

export interface AppointmentSchedulerOptions {
  readonly appointments: Appointments;
  readonly people: People;
  readonly changes: ChangeLog;
  readonly alerts: Pick<AlertsClient, 'inviteToAppointment'>;
  readonly logger: Logger;
}

export class AppointmentScheduler {
  readonly #o: AppointmentSchedulerOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #running: Promise<void> | undefined;

  constructor(options: AppointmentSchedulerOptions) {
    this.#o = options;
  }

  start(everyMs: number): void {
    // A tick that fails (the database busy, say) is logged; the next one tries again.
    this.#timer ??= setInterval(
      () =>
        void this.tick().catch((error: unknown) =>
          this.#o.logger.error({ error: String(error) }, 'appointment tick failed'),
        ),
      everyMs,
    ).unref();
  }

  /** Does what is due now; a tick asked while one runs waits for it rather than running twice. */
  tick(): Promise<void> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  async #run(): Promise<void> {
    const { appointments, changes, logger } = this.#o;
    for (const missed of appointments.settleMissed()) {
      changes.record(AUTOMATIC_ACTOR, 'appointment.missed', {
        patientId: missed.patientId,
        detail: { appointment: missed.id, clinician: this.#clinician(missed), startsAt: missed.startsAt },
      });
      logger.info({ appointment: missed.id, patientId: missed.patientId }, 'consultation missed');
    }
    for (const kind of ['day', 'soon'] as const) {
      for (const due of appointments.dueReminders(kind)) await this.#remind(due, kind);
    }
  }

  async #remind(a: Appointment, kind: ReminderKind): Promise<void> {
    const { appointments, people, alerts, logger } = this.#o;
    if (!appointments.claimReminder(a.id, kind)) return;
    const request = appointmentMessage(people, a, MESSAGE_OF[kind]);
    if (!request) return;
    try {
      await alerts.inviteToAppointment(request);
      logger.info(
        { appointment: a.id, kind, recipients: request.personIds.length },
        'appointment reminder handed over',
      );
    } catch (error) {
      appointments.releaseReminder(a.id, kind);
      logger.warn({ appointment: a.id, kind, error: String(error) }, 'appointment reminder not sent; retried later');
    }
  }

  #clinician(a: Appointment): string {
    return this.#o.people.person(a.clinicianId)?.name ?? a.clinicianId;
  }
}

/**
 * What the ingest is asked to send about a consultation: to the patient's own account and, when the
 * family is invited, their relatives, as linked today (a relative unlinked since the booking is not
 * asked; the ingest also skips whoever may no longer be told). Undefined when nobody has an account.
 */
export function appointmentMessage(
  people: People,
  a: Appointment,
  kind: AppointmentMessageKind,
): AppointmentInvitationRequest | undefined {
  const personIds = people
    .peopleOf(a.patientId)
    .filter(({ link }) => isInvited({ family: a.inviteFamily }, link))
    .map(({ person }) => person.id);
  if (personIds.length === 0) return undefined;
  const clinician = people.person(a.clinicianId);
  return {
    kind,
    appointmentId: a.id,
    patientId: a.patientId,
    personIds,
    clinician: clinician?.name ?? a.clinicianId,
    clinicianEmail: clinician?.email ?? null,
    startsAt: a.startsAt,
    minutes: a.minutes,
  };
}
