/**
 * A Vigie patient as a FHIR R4 Patient, following FR Core's conventions for French identities: the
 * strict traits as the `official` name (birth name and first names), the name used as the `usual`
 * one, and the INS as an identifier under its OID (NIR or NIA) only when the identity is qualified:
 * the RNIV forbids exchanging the INS of an identity that is not. The identity's status (its
 * reliability: provisional, recovered, validated or qualified) goes with every recorded identity, and
 * the birthplace as its INSEE code, as FR Core's Patient carries them.
 */
import type { Identity, IdentityStatus } from '../../common/ins.ts';
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

export const IDENTITY_RELIABILITY = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-identity-reliability';
export const IDENTITY_STATUS_SYSTEM = 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-identity-status';
const BIRTH_PLACE = 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace';
const INSEE_CODE = 'https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-address-insee-code';
/** INSEE's code of communes (and of countries, 99xxx, for a birth abroad), as the NOS publishes it. */
const COMMUNE_SYSTEM = 'https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM';

/** The RNIV's four statuses as FR Core codes them. */
const STATUS_CODES: Record<IdentityStatus, { code: string; display: string }> = {
  provisional: { code: 'PROV', display: 'Identité provisoire' },
  recovered: { code: 'RECUP', display: 'Identité récupérée' },
  validated: { code: 'VALI', display: 'Identité validée' },
  qualified: { code: 'QUAL', display: 'Identité qualifiée' },
};

function identityExtensions(identity: Identity | null): object[] {
  if (!identity) return [];
  const birthplace = identity.traits.birthplace;
  return [
    {
      url: IDENTITY_RELIABILITY,
      extension: [
        { url: 'identityStatus', valueCoding: { system: IDENTITY_STATUS_SYSTEM, ...STATUS_CODES[identity.status] } },
      ],
    },
    ...(birthplace
      ? [
          {
            url: BIRTH_PLACE,
            valueAddress: {
              extension: [{ url: INSEE_CODE, valueCoding: { system: COMMUNE_SYSTEM, code: birthplace } }],
            },
          },
        ]
      : []),
  ];
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
  const extension = identityExtensions(identity);
  return {
    resourceType: 'Patient',
    id: p.id,
    ...(extension.length > 0 ? { extension } : {}),
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
