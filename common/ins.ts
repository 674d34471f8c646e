/**
 * A patient's identity as the French identity-vigilance framework (RNIV) defines it: the strict
 * traits (birth family name, first names, birth date, sex, birthplace), the name used, the INS (the
 * national health identifier: a NIR or a NIA matricule with its OID) and the identity status. Pure:
 * the web API and the provisioning CLI check with it, the pages display with it.
 *
 * A matricule is 13 characters (sex, year, month, department, commune, order) and a 2-digit key,
 * 97 − (number mod 97), with Corsica's departments 2A and 2B read as 19 and 18 for the computation.
 * A NIA (issued by the CNAV while a NIR is being assigned) has the same shape as a NIR and cannot be
 * told from it by its digits: which one it is comes with it (the INSi teleservice gives its OID).
 */
import type { ErrorCode } from './errors.ts';
import type { Sex } from './relations.ts';

export const INS_OIDS = { nir: '1.2.250.1.213.1.4.8', nia: '1.2.250.1.213.1.4.9' } as const;
export type InsKind = keyof typeof INS_OIDS;
export const INS_KINDS = ['nir', 'nia'] as const satisfies readonly InsKind[];

/**
 * The identity statuses of the RNIV: provisional (nothing checked), recovered (INS returned by the
 * INSi teleservice, no identity document seen), validated (document seen, no INS), qualified (both):
 * only a qualified identity's INS may be shown, exported or exchanged.
 */
export const IDENTITY_STATUSES = ['provisional', 'recovered', 'validated', 'qualified'] as const;
export type IdentityStatus = (typeof IDENTITY_STATUSES)[number];
/** The statuses that rest on an INS returned by the teleservice. */
const WITH_INS: ReadonlySet<IdentityStatus> = new Set(['recovered', 'qualified']);

export interface Ins {
  /** The 13 characters, upper case, without spaces. */
  readonly matricule: string;
  /** The 2-digit control key. */
  readonly key: string;
  readonly oid: (typeof INS_OIDS)[InsKind];
}

export interface Traits {
  /** Birth family name, upper case. */
  readonly birthName: string;
  /** First names from the birth certificate, in their order, separated by spaces. */
  readonly firstNames: string;
  /** The name used day to day, when it differs from the birth name (upper case). */
  readonly usedName: string | null;
  /** YYYY-MM-DD. */
  readonly birthDate: string;
  readonly sex: Sex;
  /** INSEE code of the birth commune (99xxx: the country, for someone born abroad). */
  readonly birthplace: string | null;
}

export interface Identity {
  readonly traits: Traits;
  readonly ins: Ins | null;
  readonly status: IdentityStatus;
}

export type InsError = Extract<
  ErrorCode,
  | 'ins_length'
  | 'ins_characters'
  | 'ins_sex_digit'
  | 'ins_month'
  | 'ins_key'
  | 'ins_sex_mismatch'
  | 'ins_birth_mismatch'
>;
export type TraitError = Extract<
  ErrorCode,
  | 'birth_name_invalid'
  | 'first_names_invalid'
  | 'used_name_invalid'
  | 'birth_date_invalid'
  | 'birth_date_future'
  | 'birthplace_invalid'
>;
export type IdentityError = InsError | TraitError | 'identity_ins_required';
export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

const MATRICULE = /^([1-478])(\d{2})(\d{2})(\d{2}|2A|2B)(\d{3})(\d{3})(\d{2})$/;
/** Months of a NIR: 01–12, and 20, 30–42, 50–99 for people whose birth month was not known. */
function isNirMonth(month: number): boolean {
  return (month >= 1 && month <= 12) || month === 20 || (month >= 30 && month <= 42) || month >= 50;
}

/** The control key of 13 characters (Corsica's 2A and 2B counted as 19 and 18). */
export function insKey(matricule13: string): string {
  const digits = matricule13.replace(/^(.{5})2A/, '$119').replace(/^(.{5})2B/, '$118');
  return String(97n - (BigInt(digits) % 97n)).padStart(2, '0');
}

/** Checks an INS matricule (15 characters, spaces allowed) and gives its parts and OID. */
export function parseIns(input: string, kind: InsKind = 'nir'): Result<Ins, InsError> {
  const text = input.replace(/\s+/g, '').toUpperCase();
  if (text.length !== 15) return { ok: false, error: 'ins_length' };
  if (!/^\d{5}(\d{2}|2A|2B)\d{8}$/.test(text)) return { ok: false, error: 'ins_characters' };
  const m = MATRICULE.exec(text);
  if (!m) return { ok: false, error: 'ins_sex_digit' };
  if (!isNirMonth(Number(m[3]))) return { ok: false, error: 'ins_month' };
  const matricule = text.slice(0, 13);
  const key = text.slice(13);
  if (insKey(matricule) !== key) return { ok: false, error: 'ins_key' };
  return { ok: true, value: { matricule, key, oid: INS_OIDS[kind] } };
}

/** Letters (accents allowed, as written on the document), spaces, hyphens and apostrophes. */
const NAME = /^\p{L}+(?:[ '’-]+\p{L}+)*$/u;
const MAX_NAME = 100;
const INSEE_PLACE = /^(?:\d{2}|2A|2B)\d{3}$/;

function name(input: string, error: TraitError): Result<string, TraitError> {
  const text = input.trim().replace(/\s+/g, ' ');
  return text.length > 0 && text.length <= MAX_NAME && NAME.test(text)
    ? { ok: true, value: text }
    : { ok: false, error };
}

export interface TraitsInput {
  readonly birthName: string;
  readonly firstNames: string;
  readonly usedName?: string | null | undefined;
  readonly birthDate: string;
  readonly sex: Sex;
  readonly birthplace?: string | null | undefined;
}

/** Checks the strict traits; `today` (YYYY-MM-DD) bounds the birth date. */
export function parseTraits(input: TraitsInput, today: string): Result<Traits, TraitError> {
  const birthName = name(input.birthName, 'birth_name_invalid');
  if (!birthName.ok) return birthName;
  const firstNames = name(input.firstNames, 'first_names_invalid');
  if (!firstNames.ok) return firstNames;
  let usedName: string | null = null;
  if (input.usedName != null && input.usedName.trim() !== '') {
    const used = name(input.usedName, 'used_name_invalid');
    if (!used.ok) return used;
    usedName = used.value.toUpperCase();
  }
  if (!isCalendarDate(input.birthDate) || input.birthDate < '1850-01-01')
    return { ok: false, error: 'birth_date_invalid' };
  if (input.birthDate > today) return { ok: false, error: 'birth_date_future' };
  let birthplace: string | null = null;
  if (input.birthplace != null && input.birthplace.trim() !== '') {
    birthplace = input.birthplace.trim().toUpperCase();
    if (!INSEE_PLACE.test(birthplace)) return { ok: false, error: 'birthplace_invalid' };
  }
  return {
    ok: true,
    value: {
      birthName: birthName.value.toUpperCase(),
      firstNames: firstNames.value,
      usedName: usedName === birthName.value.toUpperCase() ? null : usedName,
      birthDate: input.birthDate,
      sex: input.sex,
      birthplace,
    },
  };
}

function isCalendarDate(text: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return false;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return date.toISOString().slice(0, 10) === text;
}

export interface IdentityInput {
  readonly traits: TraitsInput;
  readonly ins: { readonly matricule: string; readonly kind: InsKind } | null;
  readonly status: IdentityStatus;
}

/**
 * Checks a whole identity: the traits, the INS, that the INS agrees with the traits (its sex digit,
 * and its birth year and month when the month is a real one) and that a recovered or qualified
 * identity has one.
 */
export function parseIdentity(input: IdentityInput, today: string): Result<Identity, IdentityError> {
  const traits = parseTraits(input.traits, today);
  if (!traits.ok) return traits;
  if (input.ins === null)
    return WITH_INS.has(input.status)
      ? { ok: false, error: 'identity_ins_required' }
      : { ok: true, value: { traits: traits.value, ins: null, status: input.status } };
  const ins = parseIns(input.ins.matricule, input.ins.kind);
  if (!ins.ok) return ins;
  const { matricule } = ins.value;
  // 1, 3, 7: male; 2, 4, 8: female.
  if ((Number(matricule[0]) % 2 === 1 ? 'male' : 'female') !== traits.value.sex)
    return { ok: false, error: 'ins_sex_mismatch' };
  const month = Number(matricule.slice(3, 5));
  const [year, birthMonth] = [traits.value.birthDate.slice(2, 4), Number(traits.value.birthDate.slice(5, 7))];
  if (matricule.slice(1, 3) !== year || (month <= 12 && month !== birthMonth))
    return { ok: false, error: 'ins_birth_mismatch' };
  return { ok: true, value: { traits: traits.value, ins: ins.value, status: input.status } };
}

/** The INS, only for a qualified identity: the one rule for what the API and the pages may show. */
export function shownIns(identity: Identity): Ins | null {
  return identity.status === 'qualified' ? identity.ins : null;
}
