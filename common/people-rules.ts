/** Rules about people's accounts that the pages share with the server (no SQLite here). */
export const ROLES = ['family', 'patient', 'clinician', 'nurse', 'coordinator', 'homecare', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/**
 * The care team's roles: doctors, nurses, care coordinators (a "coordinateur de parcours" who sets up
 * the patients of their team), home-care workers ("aide à domicile": alerts, presence and the cahier
 * de liaison, not vital signs) and administrators (the whole organisation).
 */
export const STAFF_ROLES = [
  'clinician',
  'nurse',
  'coordinator',
  'homecare',
  'admin',
] as const satisfies readonly Role[];
export type StaffRole = (typeof STAFF_ROLES)[number];

/**
 * What each staff role may do, in one table for the server (which enforces it) and the pages (which
 * hide what is not allowed). The first five are about the patients of the member's teams (an admin:
 * every patient); `patients` creates patients, `organisation` runs staff accounts, teams and
 * sign-in rules. What a clinician may do, an admin may do too.
 */
export const STAFF_RIGHTS = {
  /** Vital signs, charts, NEWS2, the live panel. */
  vitals: ['clinician', 'nurse', 'coordinator', 'admin'],
  /** Start a teleconsultation. */
  calls: ['clinician', 'nurse', 'admin'],
  /** The patient's identity, address, phone, GP and devices; their escalation chain; invitations. */
  setup: ['clinician', 'nurse', 'coordinator', 'admin'],
  /** The alert thresholds and settings (a clinical choice). */
  thresholds: ['clinician', 'nurse', 'admin'],
  /** Create patients (into one of the member's teams). */
  patients: ['coordinator', 'admin'],
  /** Staff accounts, roles, teams, who must sign in with Pro Santé Connect, the logs. */
  organisation: ['admin'],
} as const satisfies Record<string, readonly StaffRole[]>;
export type StaffRight = keyof typeof STAFF_RIGHTS;

export function isStaff(role: Role): role is StaffRole {
  return STAFF_ROLES.some((r) => r === role);
}

/** Whether a person of this role has this right (people outside the care team have none). */
export function hasRight(role: Role, right: StaffRight): boolean {
  return (STAFF_RIGHTS[right] as readonly Role[]).includes(role);
}
export const LANGS = ['fr', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_NOTE_LENGTH = 2000;

/** A national professional identifier as Pro Santé Connect's SubjectNameID carries it (RPPS or ADELI based). */
export const RPPS_PATTERN = /^[0-9]{9,12}$/;
/** The same, as a form field's `pattern` attribute (which is anchored by the browser). */
export const RPPS_HTML_PATTERN = RPPS_PATTERN.source.replace(/^\^|\$$/g, '');
