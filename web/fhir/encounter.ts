/**
 * A teleconsultation (web/routes/consultations.ts, kept by web/reports.ts) as a FHIR R4 Encounter of
 * class VR (virtual, v3 ActCode): the patient, the clinician who opened it as its primary performer,
 * when it started, and the scheduled consultation it was held for, if any.
 *
 * The web service hands out the call's links and the SFU runs the call, telling the web service who is
 * in its room after each change. The Encounter is `finished` once the room is empty (its period then
 * ends when it emptied) or its links may admit nobody any more, and `in-progress` before; someone
 * coming back while the links are good makes it `in-progress` again. An end we do not know (the room
 * never reported empty) is not sent.
 */
import type { HeldConsultation } from '../reports.ts';
import { instant } from './reference.ts';

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const PARTICIPATION_TYPE = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

export interface FhirEncounter {
  readonly resourceType: 'Encounter';
  readonly id: string;
  readonly [field: string]: unknown;
}

export function toFhirEncounter(
  held: HeldConsultation,
  o: { readonly clinician: string | null; readonly now: number },
): FhirEncounter {
  const finished = held.endedAt !== null || o.now >= held.expiresAt;
  return {
    resourceType: 'Encounter',
    id: held.roomId,
    status: finished ? 'finished' : 'in-progress',
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
    ...(held.appointmentId ? { appointment: [{ reference: `Appointment/${held.appointmentId}` }] } : {}),
    period: { start: instant(held.startedAt), ...(held.endedAt !== null ? { end: instant(held.endedAt) } : {}) },
  };
}
