/**
 * A Vigie patient as a FHIR R4 Patient, following FR Core's conventions for French identities: the
 * strict traits as the `official` name (birth name and first names), the name used as the `usual`
 * one, and the INS as an identifier under its OID (NIR or NIA) only when the identity is qualified:
 * the RNIV forbids exchanging the INS of an identity that is not.
 */
import type { Identity } from '../../common/ins.ts';
import type { PatientContact, PatientDetails } from '../registry.ts';
import { RPPS_SYSTEM } from './practitioner.ts';

export interface FhirPatient {
  readonly resourceType: 'Patient';
  readonly id: string;
  readonly [field: string]: unknown;
}

export interface PatientRecord {
  readonly id: string;
  /** The registry's label, the only name of a patient whose identity is not recorded yet. */
  readonly label: string;
  readonly identity: Identity | null;
  readonly contact: PatientContact | null;
  readonly details: PatientDetails | null;
}

/** The identifier system of a qualified identity's INS (`urn:oid:` and its OID), and its value. */
export function insIdentifier(identity: Identity | null): { system: string; value: string } | null {
  if (identity?.status !== 'qualified' || identity.ins === null) return null;
  return { system: `urn:oid:${identity.ins.oid}`, value: `${identity.ins.matricule}${identity.ins.key}` };
}

export function toFhirPatient(p: PatientRecord): FhirPatient {
  const identity = p.identity;
  const ins = insIdentifier(identity);
  const traits = identity?.traits;
  const name = traits
    ? [
        { use: 'official', family: traits.birthName, given: traits.firstNames.split(' ').filter(Boolean) },
        ...(traits.usedName ? [{ use: 'usual', family: traits.usedName }] : []),
      ]
    : [{ use: 'usual', text: p.label }];
  const sex = traits?.sex ?? p.contact?.sex ?? null;
  const address = p.details?.address;
  const gp = p.details?.gp;
  return {
    resourceType: 'Patient',
    id: p.id,
    ...(ins ? { identifier: [{ use: 'official', ...ins }] } : {}),
    active: true,
    name,
    ...(p.contact?.phone ? { telecom: [{ system: 'phone', value: p.contact.phone }] } : {}),
    ...(sex ? { gender: sex } : {}),
    ...(traits ? { birthDate: traits.birthDate } : {}),
    ...(address
      ? {
          address: [
            {
              use: 'home',
              line: [address.street],
              ...(address.postcode ? { postalCode: address.postcode } : {}),
              ...(address.city ? { city: address.city } : {}),
            },
          ],
        }
      : {}),
    ...(gp
      ? {
          generalPractitioner: [
            {
              display: gp.name,
              ...(gp.rpps ? { identifier: { system: RPPS_SYSTEM, value: gp.rpps } } : {}),
            },
          ],
        }
      : {}),
  };
}
