/**
 * Who reads the FHIR API, and what they may read, in one place for every /fhir/R4 route (a resource
 * added later gets the same checks by calling `fhirReader` first):
 * - a member of the care team (session or personal API token): the patients of their teams (an
 *   admin: all), with their role's rights (Observations need `vitals`);
 * - an external system (SMART Backend Services access token, web/fhir/token.ts): the resource types
 *   its token's scopes name (else 403 `insufficient_scope`), the patients of the teams it was
 *   registered for.
 * An unknown patient and one out of reach get the same 404, so that ids cannot be probed. Every read
 * of a patient's record is logged (web/record-reads.ts), naming the person or the system.
 */
import type { FastifyRequest } from 'fastify';
import { VigieError } from '../../common/errors.ts';
import type { StaffRight } from '../../common/people-rules.ts';
import { requireRight } from '../access.ts';
import type { FhirSystemType, RecordPart, SystemScope } from '../api/schemas.ts';
import type { WebContext } from '../context.ts';
import { hasRight } from '../../common/people-rules.ts';
import type { CareTeam, Person, StaffAccount } from '../people.ts';
import { noteRead } from '../record-reads.ts';
import type { SystemGrant } from '../systems.ts';

export type FhirReaderWho =
  | { readonly kind: 'staff'; readonly person: Person }
  | { readonly kind: 'system'; readonly system: SystemGrant['system']; readonly scopes: readonly SystemScope[] };

export interface FhirReader {
  readonly who: FhirReaderWho;
  /** The person's or the system's id: what it starts (an export job) is its own. */
  readonly id: string;
  /** Whether it may read this type (a member: their role's right; a system: its token's scopes). */
  allows(type: FhirSystemType): boolean;
  /** Why it may not read this type, in words for a developer. */
  whyNot(type: FhirSystemType): string;
  /** One of its care teams; another one is unknown (404 `team_not_found`). */
  team(teamId: string): CareTeam;
  /** Whether it may read this patient's record. */
  mayRead(patientId: string): boolean;
  /** This patient, when it may read them; else 404 `patient_not_found` (unknown and out of reach alike). */
  patient(patientId: string): string;
  /** Every patient it may read. */
  patients(): string[];
  /** The staff it may see: those who share one of its teams (an admin: all of them). */
  staff(): StaffAccount[];
  /** Logs that it read this part of a patient's record. */
  noteRead(patientId: string, what: RecordPart): void;
}

/** What a member's role must allow to read a resource type, beyond the patient being theirs. */
const STAFF_RIGHT: Partial<Record<FhirSystemType, StaffRight>> = {
  Observation: 'vitals',
  DocumentReference: 'vitals',
  Binary: 'vitals',
  Encounter: 'calls',
  Appointment: 'calls',
};

export const scopeOf = (type: FhirSystemType): SystemScope => `system/${type}.rs`;

/** Who asks (the route's access is `fhir`: web/edge.ts let in a member of the care team or a system) to read `type`. */
export function fhirReader(c: WebContext, request: FastifyRequest, type: FhirSystemType): FhirReader {
  const reader = fhirRequester(c, request);
  if (reader.who.kind === 'system') {
    if (!reader.allows(type))
      throw new VigieError('insufficient_scope', `this token's scopes do not include ${scopeOf(type)}`, {
        scope: scopeOf(type),
      });
  } else {
    const right = STAFF_RIGHT[type];
    if (right) requireRight(reader.who.person, right);
  }
  return reader;
}

/**
 * Who asks, for a request that reads several types (a Bulk Data export): each type is then allowed
 * or not by `allows`, and what is not is said rather than refused.
 */
export function fhirRequester(c: WebContext, request: FastifyRequest): FhirReader {
  if (request.system) return systemReader(c, request, request.system);
  if (!request.person) throw new VigieError('sign_in_required', 'sign in first, or use an access token');
  return staffReader(c, request, request.person);
}

function reader(
  c: WebContext,
  who: FhirReaderWho,
  o: {
    id: string;
    allows: (type: FhirSystemType) => boolean;
    whyNot: (type: FhirSystemType) => string;
    teamIds: () => ReadonlySet<string> | 'all';
    mayRead: (patientId: string) => boolean;
    patients: () => string[];
    note: (patientId: string, what: RecordPart) => void;
  },
): FhirReader {
  return {
    who,
    id: o.id,
    allows: o.allows,
    whyNot: o.whyNot,
    team(teamId) {
      const teams = o.teamIds();
      const team = c.people.teams().find((t) => t.id === teamId);
      if (!team || (teams !== 'all' && !teams.has(team.id)))
        throw new VigieError('team_not_found', 'no such care team of yours');
      return team;
    },
    mayRead: (patientId) => c.registry.hasPatient(patientId) && o.mayRead(patientId),
    patient(patientId) {
      if (!this.mayRead(patientId)) throw new VigieError('patient_not_found', 'no such patient in your care teams');
      return patientId;
    },
    patients: () => o.patients().filter((id) => c.registry.hasPatient(id)),
    staff() {
      const teams = o.teamIds();
      const all = c.people.staffAccounts();
      return teams === 'all' ? all : all.filter((s) => s.teams.some((t) => teams.has(t.id)));
    },
    noteRead: o.note,
  };
}

function staffReader(c: WebContext, request: FastifyRequest, person: Person): FhirReader {
  return reader(
    c,
    { kind: 'staff', person },
    {
      id: person.id,
      allows: (type) => {
        const right = STAFF_RIGHT[type];
        return right === undefined || hasRight(person.role, right);
      },
      whyNot: (type) => `the role ${person.role} has no "${STAFF_RIGHT[type] ?? ''}" right`,
      teamIds: () => (person.role === 'admin' ? 'all' : new Set(c.people.teamsOf(person.id).map((t) => t.id))),
      mayRead: (patientId) => c.people.inTeamOf(person, patientId),
      patients: () => c.people.teamPatients(person),
      note: (patientId, what) => noteRead(c.reads, request, person, patientId, what),
    },
  );
}

function systemReader(c: WebContext, request: FastifyRequest, grant: SystemGrant): FhirReader {
  const teams = new Set(grant.system.teamIds);
  const patients = () => [...new Set(c.people.teams().flatMap((t) => (teams.has(t.id) ? t.patientIds : [])))];
  return reader(
    c,
    { kind: 'system', system: grant.system, scopes: grant.scopes },
    {
      id: grant.system.id,
      allows: (type) => grant.scopes.includes(scopeOf(type)),
      whyNot: (type) => `this token's scopes do not include ${scopeOf(type)}`,
      teamIds: () => teams,
      mayRead: (patientId) => c.people.patientTeams(patientId).some((t) => teams.has(t.id)),
      patients,
      note: (patientId, what) =>
        c.reads.record({
          patientId,
          personId: grant.system.id,
          reader: 'system',
          what,
          channel: 'system_token',
          address: request.ip,
        }),
    },
  );
}
