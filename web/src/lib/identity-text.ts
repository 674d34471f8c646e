/**
 * The one way the pages name a patient whose identity is recorded: the strict traits of the
 * identity-vigilance framework, birth name in capitals, first first name, birth date and sex
 * ("MARTIN Jeanne, née le 03/02/1941 (F)"), so that two "Jeanne Martin" cannot be confused. Without a
 * recorded identity, the name the care team gave the patient.
 */
import type { IdentityView } from '../../api/schemas.ts';
import { INS_OIDS } from '../../../common/ins.ts';
import { translate, type Lang } from './i18n.ts';

const DATE: Record<Lang, Intl.DateTimeFormat> = {
  fr: new Intl.DateTimeFormat('fr-FR', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }),
  en: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }),
};

type Traits = Pick<IdentityView, 'birthName' | 'firstNames' | 'birthDate' | 'sex'>;

export function identityText(lang: Lang, identity: Traits | null, name: string): string {
  if (!identity) return name;
  const first = identity.firstNames.split(' ')[0] ?? identity.firstNames;
  return translate(lang, `identity.born.${identity.sex}`, {
    name: `${identity.birthName.toUpperCase()} ${first}`,
    date: DATE[lang].format(new Date(`${identity.birthDate}T00:00:00Z`)),
    sex: translate(lang, `identity.sex.${identity.sex}`),
  });
}

/** The INS as it is written ("2 41 02 75 123 456 94") with its kind, for a qualified identity only. */
export function insText(lang: Lang, identity: IdentityView): string | null {
  const { ins } = identity;
  if (!ins || identity.status !== 'qualified') return null;
  const m = ins.matricule;
  const spaced = [m.slice(0, 1), m.slice(1, 3), m.slice(3, 5), m.slice(5, 7), m.slice(7, 10), m.slice(10, 13), ins.key];
  return translate(lang, 'identity.ins', {
    kind: ins.oid === INS_OIDS.nia ? 'NIA' : 'NIR',
    ins: spaced.join(' '),
  });
}
