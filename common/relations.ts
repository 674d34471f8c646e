/**
 * Who a relative is for the patient, as a code from a fixed list (chosen from a list on the invitation
 * form, stored as the code), so that each page can say it in its language and from its reader's side:
 * the console says "fille" (the relative, seen from the patient), the relative's own page says "votre
 * mère" (the patient, seen from the relative). Shared by the server and the pages (no SQLite here).
 */

/** Who the relative is for the patient. Gendered where the relation usually is, as people say it. */
export const RELATIONS = [
  'daughter',
  'son',
  'wife',
  'husband',
  'partner',
  'sister',
  'brother',
  'granddaughter',
  'grandson',
  'niece',
  'nephew',
  'friend',
  'neighbour',
  'caregiver',
  'other',
] as const;
export type Relation = (typeof RELATIONS)[number];

/** The patient's administrative sex (registry), when known: how the relative's page names the patient. */
export const SEXES = ['female', 'male'] as const;
export type Sex = (typeof SEXES)[number];

/** What the relation makes the patient for the relative, whatever either one's sex. */
export type Counterpart =
  'parent' | 'partner' | 'sibling' | 'grandparent' | 'aunt_uncle' | 'friend' | 'neighbour' | 'cared' | 'other';

const COUNTERPART: Record<Relation, Counterpart> = {
  daughter: 'parent',
  son: 'parent',
  wife: 'partner',
  husband: 'partner',
  partner: 'partner',
  sister: 'sibling',
  brother: 'sibling',
  granddaughter: 'grandparent',
  grandson: 'grandparent',
  niece: 'aunt_uncle',
  nephew: 'aunt_uncle',
  friend: 'friend',
  neighbour: 'neighbour',
  caregiver: 'cared',
  other: 'other',
};

/** The patient as the relative sees them, and the form for the patient's sex (`any`: unknown). */
export function counterpartOf(relation: Relation, sex: Sex | null): `${Counterpart}.${Sex | 'any'}` {
  return `${COUNTERPART[relation]}.${sex ?? 'any'}`;
}

export function isRelation(value: string): value is Relation {
  return (RELATIONS as readonly string[]).includes(value);
}

/** Words people typed before the list existed (French and English), by the code they mean. */
const WORDS: Record<Exclude<Relation, 'other'>, readonly string[]> = {
  daughter: ['fille', 'daughter', 'belle-fille', 'daughter-in-law'],
  son: ['fils', 'son', 'beau-fils', 'gendre', 'son-in-law'],
  wife: ['epouse', 'femme', 'wife'],
  husband: ['epoux', 'mari', 'husband'],
  partner: ['conjoint', 'conjointe', 'compagnon', 'compagne', 'partenaire', 'partner', 'spouse'],
  sister: ['soeur', 'sister'],
  brother: ['frere', 'brother'],
  granddaughter: ['petite-fille', 'petite fille', 'granddaughter'],
  grandson: ['petit-fils', 'petit fils', 'grandson'],
  niece: ['niece'],
  nephew: ['neveu', 'nephew'],
  friend: ['ami', 'amie', 'friend'],
  neighbour: ['voisin', 'voisine', 'neighbour', 'neighbor'],
  caregiver: [
    'aide a domicile',
    'aide-soignant',
    'aide-soignante',
    'auxiliaire de vie',
    'infirmier',
    'infirmiere',
    'infirmiere de garde',
    'caregiver',
    'carer',
    'home help',
    'nurse',
  ],
};
const BY_WORD = new Map(
  Object.entries(WORDS).flatMap(([code, words]) => words.map((w) => [w, code as Relation] as const)),
);

/**
 * A relation as a code: a code stays itself; a word people used to type ("fille", "Ma voisine",
 * "daughter") becomes its code; anything else is `other`, its text kept to be shown as typed.
 */
export function relationFromText(input: string): { relation: Relation; text: string | null } {
  const typed = input.trim();
  if (isRelation(typed)) return { relation: typed, text: null };
  const word = typed
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/^(ma|mon|my)\s+/, '')
    .replace(/\s+/g, ' ');
  const relation = BY_WORD.get(word);
  return relation ? { relation, text: null } : { relation: 'other', text: typed || null };
}
