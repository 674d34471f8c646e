/**
 * A relative (or other caregiver) of a patient, as a FHIR R4 RelatedPerson: one per care link, so its
 * id names both the patient and the person (`{patientId}.{personId}`: a person may be the relative of
 * two patients, and is then two RelatedPersons). The relation is coded with HL7 v3 RoleCode where one
 * exists, always said in words; the name as the care team knows it. No contact details: the relative
 * gave them to Vigie to be alerted, not to be passed on.
 */
import type { Relation } from '../../common/relations.ts';

export interface FhirRelatedPerson {
  readonly resourceType: 'RelatedPerson';
  readonly id: string;
  readonly [field: string]: unknown;
}

const ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

/** HL7 v3 RoleCode of each relation (a professional or informal caregiver, or "other": words only). */
const ROLE_CODES: Partial<Record<Relation, { code: string; display: string }>> = {
  daughter: { code: 'DAU', display: 'natural daughter' },
  son: { code: 'SON', display: 'natural son' },
  wife: { code: 'WIFE', display: 'wife' },
  husband: { code: 'HUSB', display: 'husband' },
  partner: { code: 'DOMPART', display: 'domestic partner' },
  sister: { code: 'SIS', display: 'sister' },
  brother: { code: 'BRO', display: 'brother' },
  granddaughter: { code: 'GRNDDAU', display: 'granddaughter' },
  grandson: { code: 'GRNDSON', display: 'grandson' },
  niece: { code: 'NIECE', display: 'niece' },
  nephew: { code: 'NEPHEW', display: 'nephew' },
  friend: { code: 'FRND', display: 'unrelated friend' },
  neighbour: { code: 'NBOR', display: 'neighbor' },
};

export const relatedPersonId = (patientId: string, personId: string) => `${patientId}.${personId}`;

/** The patient and person ids of a RelatedPerson id; null when it cannot be one. */
export function relatedPersonOf(id: string): { patientId: string; personId: string } | null {
  const dot = id.indexOf('.');
  if (dot <= 0 || dot === id.length - 1 || id.indexOf('.', dot + 1) >= 0) return null;
  return { patientId: id.slice(0, dot), personId: id.slice(dot + 1) };
}

export function toFhirRelatedPerson(
  patientId: string,
  person: { readonly id: string; readonly name: string; readonly active: boolean },
  link: { readonly relation: Relation; readonly relationText: string | null },
): FhirRelatedPerson {
  const coded = ROLE_CODES[link.relation];
  const text = link.relation === 'other' && link.relationText ? link.relationText : link.relation;
  return {
    resourceType: 'RelatedPerson',
    id: relatedPersonId(patientId, person.id),
    active: person.active,
    patient: { reference: `Patient/${patientId}` },
    relationship: [{ ...(coded ? { coding: [{ system: ROLE_CODE, ...coded }] } : {}), text }],
    name: [{ text: person.name }],
  };
}
