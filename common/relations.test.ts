import { describe, expect, it } from 'vitest';
import { RELATIONS, counterpartOf, relationFromText } from './relations.ts';

describe('relationFromText', () => {
  it('keeps a code', () => {
    for (const code of RELATIONS) expect(relationFromText(code)).toEqual({ relation: code, text: null });
  });

  it.each([
    ['fille', 'daughter'],
    ['Fille', 'daughter'],
    ['  ma fille ', 'daughter'],
    ['daughter', 'daughter'],
    ['fils', 'son'],
    ['my son', 'son'],
    ['épouse', 'wife'],
    ['mari', 'husband'],
    ['compagne', 'partner'],
    ['sœur', 'sister'],
    ['Soeur', 'sister'],
    ['frère', 'brother'],
    ['petite-fille', 'granddaughter'],
    ['petit fils', 'grandson'],
    ['nièce', 'niece'],
    ['neveu', 'nephew'],
    ['amie', 'friend'],
    ['ami', 'friend'],
    ['Ma voisine', 'neighbour'],
    ['neighbor', 'neighbour'],
    ['infirmière de garde', 'caregiver'],
    ['aide à domicile', 'caregiver'],
  ])('%j is %s', (typed, relation) => {
    expect(relationFromText(typed)).toEqual({ relation, text: null });
  });

  it('keeps what it does not recognise as the text of "other"', () => {
    expect(relationFromText(' filleule ')).toEqual({ relation: 'other', text: 'filleule' });
    expect(relationFromText('self')).toEqual({ relation: 'other', text: 'self' });
    expect(relationFromText('')).toEqual({ relation: 'other', text: null });
  });
});

describe('counterpartOf', () => {
  it('names the patient from the relative’s side, in the form of the patient’s sex', () => {
    expect(counterpartOf('daughter', 'female')).toBe('parent.female');
    expect(counterpartOf('son', 'male')).toBe('parent.male');
    expect(counterpartOf('grandson', null)).toBe('grandparent.any');
    expect(counterpartOf('niece', 'male')).toBe('aunt_uncle.male');
    expect(counterpartOf('caregiver', 'female')).toBe('cared.female');
    expect(counterpartOf('other', null)).toBe('other.any');
  });
});
