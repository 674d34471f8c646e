/**
 * What /fhir/R4 serves, as a CapabilityStatement: exactly the resources, interactions and search
 * parameters that web/fhir/routes.ts answers, JSON only.
 */
const param = (name: string, type: string, documentation: string) => ({ name, type, documentation });

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
          'A signed-in member of the care team (session cookie or personal API token), or an external system registered by an administrator (SMART Backend Services), for the patients of their care teams only. Every read of a patient record is logged.',
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
            type: 'Observation',
            interaction: [{ code: 'read' }, { code: 'search-type' }],
            searchParam: [
              param('patient', 'reference', 'The patient (required)'),
              param('code', 'token', 'LOINC code, e.g. http://loinc.org|8867-4; comma for several'),
              param('date', 'date', 'Effective time with ge, gt, le or lt; repeat for a range'),
              param('_count', 'number', 'Page size (default 50, at most 500)'),
            ],
          },
        ],
      },
    ],
  };
}
