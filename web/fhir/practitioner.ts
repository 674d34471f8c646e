/**
 * A member of the care team as a FHIR R4 Practitioner: their name and, when registered, their RPPS
 * number under the RPPS OID. Their role in Vigie is not a qualification and is not sent.
 */
import type { StaffAccount } from '../people.ts';

export const RPPS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';

export interface FhirPractitioner {
  readonly resourceType: 'Practitioner';
  readonly id: string;
  readonly [field: string]: unknown;
}

export function toFhirPractitioner(s: StaffAccount): FhirPractitioner {
  return {
    resourceType: 'Practitioner',
    id: s.id,
    ...(s.rpps ? { identifier: [{ use: 'official', system: RPPS_SYSTEM, value: s.rpps }] } : {}),
    active: !s.disabled,
    name: [{ text: s.name }],
  };
}
