/**
 * What /fhir/R4 serves, as a CapabilityStatement: exactly the resources, interactions, search
 * parameters and operations that web/fhir/routes.ts and web/fhir/export.ts answer, JSON only (the
 * Bulk Data `$export` files are NDJSON).
 */
const param = (name: string, type: string, documentation: string) => ({ name, type, documentation });
const BULK = 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/';
const exportOperation = (level: 'patient' | 'group', documentation: string) => ({
  name: 'export',
  definition: `${BULK}${level}-export`,
  documentation,
});

/** A patient's records searched by patient, by a time, a page at a time. */
const dated = (type: string, time: string, timeText: string, documentation: string) => ({
  type,
  documentation,
  interaction: [{ code: 'read' }, { code: 'search-type' }],
  searchParam: [
    param('patient', 'reference', 'The patient (required)'),
    param(time, 'date', `${timeText}, with ge, gt, le or lt; repeat for a range`),
    param('_count', 'number', 'Page size (default 50, at most 500)'),
  ],
});

/** `tokenUrl`: where external systems get their SMART Backend Services access tokens. */
export function capabilityStatement(base: string, date: string, tokenUrl: string) {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date,
    kind: 'instance',
    software: { name: 'Vigie' },
    implementation: { description: 'Vigie remote monitoring FHIR R4 API', url: base },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'A signed-in member of the care team (session cookie or personal API token), or an external system registered by an administrator (SMART Backend Services), for the patients of their care teams only, with the rights of their role (Observation and DocumentReference need the vitals right, Encounter and Appointment the calls right) or the scopes of the system. Every read of a patient record is logged. Read only: any other method is answered 405.',
        security: {
          extension: [
            {
              url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
              extension: [{ url: 'token', valueUri: tokenUrl }],
            },
          ],
          service: [
            {
              coding: [
                { system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' },
              ],
            },
          ],
          description:
            'External systems: SMART Backend Services (client credentials, private_key_jwt with RS384 or ES384, system/*.rs scopes; see .well-known/smart-configuration). Staff: Vigie session cookie or personal API token (Authorization: Bearer).',
        },
        resource: [
          {
            type: 'Patient',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              param('_id', 'token', 'Patient id'),
              param('identifier', 'token', 'INS of a qualified identity (urn:oid:1.2.250.1.213.1.4.8|value)'),
            ],
            operation: [
              exportOperation(
                'patient',
                'Bulk Data export (Prefer: respond-async) of the patients of your care teams (Patient/$export) or of one (Patient/[id]/$export): _type, _since, _outputFormat=application/fhir+ndjson',
              ),
            ],
          },
          {
            type: 'Practitioner',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              param('_id', 'token', 'Practitioner id'),
              param('identifier', 'token', 'RPPS (urn:oid:1.2.250.1.71.4.2.1|value)'),
            ],
          },
          {
            type: 'Device',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [param('patient', 'reference', 'The patient the device is enrolled for (required)')],
          },
          {
            type: 'RelatedPerson',
            documentation: 'The patient’s relatives and caregivers: name and relation, no contact details.',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [param('patient', 'reference', 'The patient (required)')],
          },
          {
            type: 'Observation',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              param('patient', 'reference', 'The patient (required)'),
              param('code', 'token', 'LOINC code, e.g. http://loinc.org|8867-4; comma for several'),
              param('date', 'date', 'Effective time with ge, gt, le or lt; repeat for a range'),
              param('_count', 'number', 'Page size (default 50, at most 500)'),
            ],
          },
          dated('Flag', 'date', 'When the alert opened', 'Alerts of the watch and of the alert rules'),
          dated('Communication', 'sent', 'When the note was written', 'Coordination notes (cahier de liaison)'),
          dated('Encounter', 'date', 'When the teleconsultation started', 'Teleconsultations (class VR)'),
          dated('Appointment', 'date', 'The appointment’s start', 'Scheduled teleconsultations'),
          dated(
            'DocumentReference',
            'date',
            'When the version was signed',
            'Signed teleconsultation reports, one per signed version',
          ),
          {
            type: 'Binary',
            documentation:
              'A signed report’s PDF, where its DocumentReference points: the PDF itself, or a Binary resource when asked for FHIR JSON.',
            interaction: [{ code: 'read' }],
          },
          {
            type: 'Group',
            documentation: 'A care team of yours, as a Group of type person listing its patients.',
            interaction: [{ code: 'read' }],
            operation: [
              exportOperation(
                'group',
                'Bulk Data export (Prefer: respond-async) of a care team: _type, _since, _outputFormat=application/fhir+ndjson',
              ),
            ],
          },
        ],
      },
    ],
  };
}
