/**
 * Who may see which patient, in one place for every route and the live channel: a relative (or the
 * patient themself) through their care link, with vital signs only by consent; a member of the care
 * team through their team (an admin: every team's patients). Unknown and foreign patients are
 * refused alike, so that ids cannot be probed.
 */
import { VigieError } from '../common/errors.ts';
import { isStaff, type CareLink, type People, type Person } from './people.ts';
import { hasRight, type StaffRight } from '../common/people-rules.ts';

export type Access =
  /** `vitals`: the member's role has the `vitals` right (a home-care worker's has not). */
  | { readonly kind: 'staff'; readonly patientId: string; readonly vitals: boolean }
  | { readonly kind: 'family'; readonly patientId: string; readonly vitals: boolean; readonly link: CareLink };

export function accessTo(people: People, person: Person, patientId: string): Access | undefined {
  if (isStaff(person.role)) return people.inTeamOf(person, patientId) ? staffAccess(person, patientId) : undefined;
  const link = people.linkOf(person.id, patientId);
  return link && { kind: 'family', patientId, vitals: link.shareVitals, link };
}

/** What a member of the care team gets of one of their team's patients. */
export function staffAccess(person: Person, patientId: string): Access {
  return { kind: 'staff', patientId, vitals: hasRight(person.role, 'vitals') };
}

/**
 * A member of the care team whose role has this right (common/people-rules.ts STAFF_RIGHTS); the
 * organisation's own pages refuse with `admin_only`, the rest with `role_not_allowed`.
 */
export function requireRight(person: Person, right: StaffRight): Person {
  if (hasRight(person.role, right)) return person;
  throw right === 'organisation'
    ? new VigieError('admin_only', 'this is for administrators')
    : new VigieError('role_not_allowed', `the role ${person.role} may not do this (${right})`, { right });
}

/** A patient of the member's team, and a role with this right over them. */
export function requireRightOver(people: People, person: Person, patientId: string, right: StaffRight): Access {
  const access = requireAccess(people, person, patientId);
  requireRight(person, right);
  return access;
}

export function requireAccess(people: People, person: Person, patientId: string): Access {
  const access = accessTo(people, person, patientId);
  if (access) return access;
  throw isStaff(person.role)
    ? new VigieError('patient_not_in_team', 'this patient is not in your care team')
    : new VigieError('patient_forbidden', 'you do not have access to this patient');
}

/** The family page is for relatives and the patient themself; the care team has the console. */
export function requireFamilyLink(people: People, person: Person, patientId: string): CareLink {
  const access = requireAccess(people, person, patientId);
  if (access.kind !== 'family') throw new VigieError('family_only', 'the care team follows patients in the console');
  return access.link;
}

/** The patient themself (their own account, by its care link, never by a free-text relation) or their care team. */
export function isPatientOrCareTeam(access: Access): boolean {
  return access.kind === 'staff' || access.link.self;
}

/** The patients a person follows: their team's, or their relatives. */
export function patientsOf(people: People, person: Person): string[] {
  return isStaff(person.role) ? people.teamPatients(person) : people.linksOf(person.id).map((l) => l.patientId);
}

/** Names of the people alerts mention (who acknowledged, who is assigned, who is on the way, who was notified). */
export function namesOf(
  people: People,
  alerts: ReadonlyArray<{
    acknowledgedBy: string | null;
    assignee: string | null;
    escalation: { owner: string | null; notified: readonly string[] } | null;
  }>,
): Record<string, string> {
  const ids = new Set(
    alerts
      .flatMap((a) => [a.acknowledgedBy, a.assignee, a.escalation?.owner, ...(a.escalation?.notified ?? [])])
      .filter((x): x is string => typeof x === 'string'),
  );
  return Object.fromEntries([...ids].map((id) => [id, people.person(id)?.name ?? id]));
}
