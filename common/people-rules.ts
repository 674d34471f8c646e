/** Rules about people's accounts that the pages share with the server (no SQLite here). */
export const ROLES = ['family', 'patient', 'clinician', 'nurse', 'admin'] as const;
export type Role = (typeof ROLES)[number];
/** The care team's roles. */
export const STAFF_ROLES = ['clinician', 'nurse', 'admin'] as const satisfies readonly Role[];
export type StaffRole = (typeof STAFF_ROLES)[number];
export const LANGS = ['fr', 'en'] as const;
export type Lang = (typeof LANGS)[number];
export const MIN_PASSWORD_LENGTH = 10;
export const MAX_NOTE_LENGTH = 2000;

/** A national professional identifier as Pro Santé Connect's SubjectNameID carries it (RPPS or ADELI based). */
export const RPPS_PATTERN = /^[0-9]{9,12}$/;
