/**
 * A care team as a FHIR R4 Group of type `person`: the patients it follows, as references. It is
 * what a Bulk Data export of a team (`Group/{id}/$export`) exports.
 */
import type { CareTeam } from '../people.ts';

export function toFhirGroup(team: CareTeam) {
  return {
    resourceType: 'Group',
    id: team.id,
    type: 'person',
    actual: true,
    name: team.name,
    quantity: team.patientIds.length,
    member: team.patientIds.map((id) => ({ entity: { reference: `Patient/${id}` } })),
  } as const;
}
