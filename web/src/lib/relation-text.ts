/**
 * A relation said from each side, in the page's language: the care team reads who the relative is for
 * the patient ("fille de Jeanne Martin"); the relative reads who the patient is for them ("votre mère").
 */
import { counterpartOf, type Relation, type Sex } from '../../../common/relations.ts';
import { translate, type Lang } from './i18n.ts';

/** The relative, seen from the patient: "fille", or what was typed for `other`. */
export function relationWord(lang: Lang, relation: Relation, text: string | null): string {
  return relation === 'other' && text ? text : translate(lang, `relation.${relation}`);
}

/** "fille de Jeanne Martin" / "Jeanne Martin’s daughter". */
export function relationOfPatient(lang: Lang, relation: Relation, text: string | null, patient: string): string {
  return translate(lang, 'relation.of', { relation: relationWord(lang, relation, text), patient });
}

/** The patient, seen by the relative reading their own page: "votre mère", "your neighbour", "vous". */
export function patientForReader(lang: Lang, link: { relation: Relation; self: boolean; sex: Sex | null }): string {
  return link.self
    ? translate(lang, 'reader.self')
    : translate(lang, `reader.${counterpartOf(link.relation, link.sex)}`);
}
