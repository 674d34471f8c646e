/** What every FHIR builder of web/fhir shares: instants as FHIR writes them, and references to the people of a record. */
import { STAFF_ROLES } from '../../common/people-rules.ts';
import { relatedPersonId } from './related-person.ts';

export interface FhirReference {
  readonly reference?: string;
  readonly display?: string;
}

/** An epoch-ms instant as a FHIR `instant`/`dateTime` (UTC, to the millisecond). */
export function instant(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * Who a person of Vigie is in FHIR: a member of the care team is a Practitioner, the patient's own
 * account is the Patient, anyone else with a care link a RelatedPerson. An account that is gone (no
 * role known) is named only.
 */
export function personReference(
  person: { readonly id: string; readonly role: string; readonly name?: string },
  patientId: string,
): FhirReference {
  const display = person.name ? { display: person.name } : {};
  if (!person.role) return display;
  if (STAFF_ROLES.some((r) => r === person.role)) return { reference: `Practitioner/${person.id}`, ...display };
  if (person.role === 'patient') return { reference: `Patient/${patientId}`, ...display };
  return { reference: `RelatedPerson/${relatedPersonId(patientId, person.id)}`, ...display };
}
