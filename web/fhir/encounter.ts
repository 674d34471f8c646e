/**
 * A teleconsultation (web/routes/consultations.ts, kept by web/reports.ts) as a FHIR R4 Encounter of
 * class VR (virtual, v3 ActCode): the patient, the clinician who opened it as its primary performer,
 * when it started, and the scheduled consultation it was held for, if any.
 *
 * The web service hands out the call's links and the SFU runs the call; the SFU does not tell the web
 * service when the call ends. So the Encounter is `in-progress` while its links may still admit
 * someone and `finished` after, and its period has a start and no end: an end we do not know is not
 * sent.
 */
import type { Appointment } from '../appointments.ts';
import { JOIN_EARLY_MS } from '../appointments.ts';
import type { HeldConsultation } from '../reports.ts';
import { instant } from './reference.ts';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const PARTICIPATION_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

export interface FhirEncounter {
  readonly resourceType: 'Encounter';
  readonly id: string;
  readonly [field: string]: unknown;
}

/**
 * The scheduled consultation a call was held for: the same clinician's, opened between the time the
 * patient may join (10 minutes before) and its end.
 */
export function appointmentHeld(held: HeldConsultation, appointments: readonly Appointment[]): Appointment | undefined {
  return appointments.find(
    (a) =>
      a.status !== 'cancelled' &&
      a.clinicianId === held.clinicianId &&
      held.startedAt >= a.startsAt - JOIN_EARLY_MS &&
      held.startedAt < a.startsAt + a.minutes * 60_000,
  );
}

export function toFhirEncounter(
  held: HeldConsultation,
  o: { readonly clinician: string | null; readonly appointmentId: string | null; readonly now: number },
): FhirEncounter {
  return {
    resourceType: 'Encounter',
    id: held.roomId,
    status: o.now < held.expiresAt ? 'in-progress' : 'finished',
    class: { system: ACT_CODE, code: 'VR', display: 'virtual' },
    type: [{ text: 'Teleconsultation' }],
    subject: { reference: `Patient/${held.patientId}` },
    participant: [
      {
        type: [{ coding: [{ system: PARTICIPATION_TYPE, code: 'PPRF', display: 'primary performer' }] }],
        individual: {
          reference: `Practitioner/${held.clinicianId}`,
          ...(o.clinician ? { display: o.clinician } : {}),
        },
      },
    ],
    ...(o.appointmentId ? { appointment: [{ reference: `Appointment/${o.appointmentId}` }] } : {}),
    period: { start: instant(held.startedAt) },
  };
}
