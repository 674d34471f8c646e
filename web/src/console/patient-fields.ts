/**
 * The identity and contact fields of the patient forms (creation, set-up page) as the person types
 * them, and the bodies the API takes. The server checks everything (common/ins.ts, common/phone.ts);
 * here an empty optional field becomes null.
 */
import type { z } from 'zod';
import { INS_OIDS, type IdentityStatus, type InsKind } from '../../../common/ins.ts';
import type { Lang } from '../../../common/people-rules.ts';
import { displayPhone } from '../../../common/phone.ts';
import type { Sex } from '../../../common/relations.ts';
import type { IdentityView, PatientContactView, identityBody } from '../../api/schemas.ts';

/** devices/topics.ts's isDeviceId as an input's pattern, for the browser's own check (the server checks again). */
export const DEVICE_ID_PATTERN = '[a-z0-9][a-z0-9\\-]{2,63}';

export interface IdentityFieldsValue {
  birthName: string;
  firstNames: string;
  usedName: string;
  birthDate: string;
  sex: Sex;
  birthplace: string;
  /** The matricule and its key, as typed. */
  ins: string;
  kind: InsKind;
  status: IdentityStatus;
}

export interface ContactFieldsValue {
  phone: string;
  street: string;
  postcode: string;
  city: string;
  gpName: string;
  gpPhone: string;
  gpRpps: string;
}

export function identityFieldsOf(identity: IdentityView | null): IdentityFieldsValue {
  return {
    birthName: identity?.birthName ?? '',
    firstNames: identity?.firstNames ?? '',
    usedName: identity?.usedName ?? '',
    birthDate: identity?.birthDate ?? '',
    sex: identity?.sex ?? 'female',
    birthplace: identity?.birthplace ?? '',
    ins: identity?.ins ? `${identity.ins.matricule}${identity.ins.key}` : '',
    kind: identity?.ins?.oid === INS_OIDS.nia ? 'nia' : 'nir',
    status: identity?.status ?? 'provisional',
  };
}

export function identityBodyOf(v: IdentityFieldsValue): z.input<typeof identityBody> {
  return {
    birthName: v.birthName,
    firstNames: v.firstNames,
    usedName: v.usedName.trim() || null,
    birthDate: v.birthDate,
    sex: v.sex,
    birthplace: v.birthplace.trim() || null,
    ins: v.ins.trim() ? { matricule: v.ins, kind: v.kind } : null,
    status: v.status,
  };
}

/** Phones as people write them in that language (the server stores E.164). */
export function contactFieldsOf(contact: PatientContactView | null, lang: Lang): ContactFieldsValue {
  const phone = (e164: string | null | undefined) => (e164 ? displayPhone(e164, lang) : '');
  return {
    phone: phone(contact?.phone),
    street: contact?.address?.street ?? '',
    postcode: contact?.address?.postcode ?? '',
    city: contact?.address?.city ?? '',
    gpName: contact?.gp?.name ?? '',
    gpPhone: phone(contact?.gp?.phone),
    gpRpps: contact?.gp?.rpps ?? '',
  };
}

/** No street: no address; no GP name: no GP (their phone and RPPS go with them). */
export function contactBodyOf(v: ContactFieldsValue): PatientContactView {
  const orNull = (s: string) => s.trim() || null;
  return {
    phone: orNull(v.phone),
    address: v.street.trim() ? { street: v.street.trim(), postcode: orNull(v.postcode), city: orNull(v.city) } : null,
    gp: v.gpName.trim() ? { name: v.gpName.trim(), phone: orNull(v.gpPhone), rpps: orNull(v.gpRpps) } : null,
  };
}
