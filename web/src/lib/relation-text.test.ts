import { describe, expect, it } from 'vitest';
import { RELATIONS, SEXES } from '../../../common/relations.ts';
import { patientForReader, relationOfPatient, relationWord } from './relation-text.ts';

describe('a relation said from each side', () => {
  it('names the patient from the reader’s side, by the patient’s sex, in both languages', () => {
    const read = (relation: (typeof RELATIONS)[number], sex: (typeof SEXES)[number] | null) => [
      patientForReader('fr', { relation, self: false, sex }),
      patientForReader('en', { relation, self: false, sex }),
    ];
    expect(read('daughter', 'female')).toEqual(['votre mère', 'your mother']);
    expect(read('son', 'male')).toEqual(['votre père', 'your father']);
    expect(read('son', null)).toEqual(['votre parent', 'your parent']);
    expect(read('granddaughter', 'female')).toEqual(['votre grand-mère', 'your grandmother']);
    expect(read('nephew', 'male')).toEqual(['votre oncle', 'your uncle']);
    expect(read('neighbour', 'female')).toEqual(['votre voisine', 'your neighbour']);
    expect(read('caregiver', null)).toEqual(['la personne que vous accompagnez', 'the person you care for']);
    expect(patientForReader('fr', { relation: 'other', self: true, sex: 'female' })).toBe('vous');
  });

  it('has a text for every relation and sex', () => {
    for (const relation of RELATIONS)
      for (const sex of [...SEXES, null])
        for (const lang of ['fr', 'en'] as const)
          expect(patientForReader(lang, { relation, self: false, sex })).not.toMatch(/^reader\.|\{/);
  });

  it('names the relative from the patient’s side, what was typed for "other"', () => {
    expect(relationOfPatient('fr', 'daughter', null, 'Jeanne Martin')).toBe('fille de Jeanne Martin');
    expect(relationOfPatient('en', 'daughter', null, 'Jeanne Martin')).toBe('Jeanne Martin’s daughter');
    expect(relationWord('fr', 'other', 'filleule')).toBe('filleule');
    expect(relationWord('en', 'other', null)).toBe('other');
  });
});
