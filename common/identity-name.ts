/**
 * The one way Vigie names a patient whose identity is recorded, on its pages and in its e-mails and
 * pushes: the strict traits of the identity-vigilance framework, birth name in capitals, first first
 * name, birth date and sex ("MARTIN Jeanne, née le 03/02/1941 (F)"), so that two "Jeanne Martin"
 * cannot be confused. Without a recorded identity, the name the care team gave the patient.
 */
import type { Sex } from './relations.ts';

export interface StrictTraits {
  readonly birthName: string;
  readonly firstNames: string;
  /** YYYY-MM-DD. */
  readonly birthDate: string;
  readonly sex: Sex;
}

type Lang = 'fr' | 'en';

const DATE: Record<Lang, Intl.DateTimeFormat> = {
  fr: new Intl.DateTimeFormat('fr-FR', { day: '2-digit', month: '2-digit', year: 'numeric', timeZone: 'UTC' }),
  en: new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }),
};
const BORN: Record<Lang, Record<Sex, string>> = {
  fr: { female: 'née le', male: 'né le' },
  en: { female: 'born', male: 'born' },
};
const SEX: Record<Sex, string> = { female: 'F', male: 'M' };

export function strictName(lang: Lang, traits: StrictTraits | null | undefined, label: string): string {
  if (!traits) return label;
  const first = traits.firstNames.split(' ')[0] ?? traits.firstNames;
  const date = DATE[lang].format(new Date(`${traits.birthDate}T00:00:00Z`));
  return `${traits.birthName.toUpperCase()} ${first}, ${BORN[lang][traits.sex]} ${date} (${SEX[traits.sex]})`;
}
