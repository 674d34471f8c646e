/**
 * A note of the coordination log ("cahier de liaison", web/people.ts) as a FHIR R4 Communication:
 * sent by its author (a Practitioner of the care team; a RelatedPerson or the Patient if ever they
 * wrote one), about the patient, at the time it was written, its text as the payload. A note that
 * closed an alert is `about` that alert's Flag.
 */
import type { CoordinationNote } from '../people.ts';
import { instant, personReference } from './reference.ts';

export interface FhirCommunication {
  readonly resourceType: 'Communication';
  readonly id: string;
  readonly [field: string]: unknown;
}

export function toFhirCommunication(patientId: string, note: CoordinationNote): FhirCommunication {
  return {
    resourceType: 'Communication',
    id: String(note.id),
    status: 'completed',
    category: [{ text: 'Coordination note (cahier de liaison)' }],
    subject: { reference: `Patient/${patientId}` },
    ...(note.closes ? { about: [{ reference: `Flag/${note.closes.id}` }] } : {}),
    sent: instant(note.at),
    sender: personReference({ id: note.authorId, role: note.role, name: note.author }, patientId),
    payload: [{ contentString: note.text }],
  };
}
