/**
 * A scheduled teleconsultation (web/appointments.ts) as a FHIR R4 Appointment: its start and end, why
 * it was booked, and its participants with their status: the clinician (who booked it: accepted), the
 * patient and, when the family is invited, each relative (asked: needs-action; the patient has
 * accepted once the consultation took place).
 *
 * Status: the outcome web/appointments.ts settles: `booked` until its end, `cancelled` when cancelled,
 * `fulfilled` once held (the senior joined the call opened for it: `done`), `noshow` when its slot
 * ended without them (`missed`; also a booked one whose end has passed, before the scheduler's next
 * tick settles it).
 */
import type { Appointment } from '../appointments.ts';
import { instant, type FhirReference } from './reference.ts';
import { relatedPersonId } from './related-person.ts';

export interface FhirAppointment {
  readonly resourceType: 'Appointment';
  readonly id: string;
  readonly [field: string]: unknown;
}

export interface AppointmentParties {
  readonly clinician: string | null;
  /** The patient's relatives invited (the family is invited), by person id and name. */
  readonly relatives: ReadonlyArray<{ readonly id: string; readonly name: string }>;
  readonly now: number;
}

type Status = 'booked' | 'cancelled' | 'fulfilled' | 'noshow';

export function appointmentStatus(a: Appointment, now: number): Status {
  if (a.status === 'cancelled') return 'cancelled';
  if (a.status === 'done') return 'fulfilled';
  if (a.status === 'missed') return 'noshow';
  return a.startsAt + a.minutes * 60_000 > now ? 'booked' : 'noshow';
}

export function toFhirAppointment(a: Appointment, p: AppointmentParties): FhirAppointment {
  const status = appointmentStatus(a, p.now);
  const party = (actor: FhirReference, state: string, required = 'required') => ({
    actor,
    required,
    status: state,
  });
  const patientState = status === 'fulfilled' ? 'accepted' : 'needs-action';
  return {
    resourceType: 'Appointment',
    id: a.id,
    status,
    serviceType: [{ text: 'Teleconsultation' }],
    ...(a.reason.trim() ? { reasonCode: [{ text: a.reason }] } : {}),
    start: instant(a.startsAt),
    end: instant(a.startsAt + a.minutes * 60_000),
    minutesDuration: a.minutes,
    created: instant(a.bookedAt),
    participant: [
      party({ reference: `Patient/${a.patientId}` }, patientState),
      party(
        { reference: `Practitioner/${a.clinicianId}`, ...(p.clinician ? { display: p.clinician } : {}) },
        'accepted',
      ),
      ...(a.inviteFamily
        ? p.relatives.map((r) =>
            party(
              { reference: `RelatedPerson/${relatedPersonId(a.patientId, r.id)}`, display: r.name },
              'needs-action',
              'optional',
            ),
          )
        : []),
    ],
  };
}
