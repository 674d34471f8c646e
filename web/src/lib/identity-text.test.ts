import { describe, expect, it } from 'vitest';
import { INS_OIDS } from '../../../common/ins.ts';
import type { IdentityView } from '../../api/schemas.ts';
import { identityText, insText } from './identity-text.ts';

const jeanne: IdentityView = {
  birthName: 'MARTIN',
  firstNames: 'Jeanne Marie',
  usedName: null,
  birthDate: '1941-02-03',
  sex: 'female',
  birthplace: null,
  status: 'qualified',
  ins: { matricule: '2410275123456', key: '94', oid: INS_OIDS.nir },
};

describe('identityText', () => {
  it.each([
    ['fr', jeanne, 'MARTIN Jeanne, née le 03/02/1941 (F)'],
    ['en', jeanne, 'MARTIN Jeanne, born 3 Feb 1941 (F)'],
    [
      'fr',
      { ...jeanne, birthName: 'Bernard', firstNames: 'Marcel', sex: 'male', birthDate: '1938-12-31' },
      'BERNARD Marcel, né le 31/12/1938 (M)',
    ],
    ['en', { ...jeanne, sex: 'male', birthDate: '1938-12-31' }, 'MARTIN Jeanne, born 31 Dec 1938 (M)'],
  ] as const)('%s: %s', (lang, identity, text) => {
    expect(identityText(lang, identity, 'Mme Martin')).toBe(text);
  });

  it('falls back on the name the care team gave when no identity is recorded', () => {
    expect(identityText('fr', null, 'Mme Martin')).toBe('Mme Martin');
  });
});

describe('insText', () => {
  it('writes the INS in its groups with its kind, for a qualified identity only', () => {
    expect(insText('fr', jeanne)).toBe('INS (NIR) : 2 41 02 75 123 456 94');
    expect(insText('en', { ...jeanne, ins: { ...jeanne.ins!, oid: INS_OIDS.nia } })).toBe(
      'INS (NIA): 2 41 02 75 123 456 94',
    );
    expect(insText('fr', { ...jeanne, status: 'validated' })).toBeNull();
    expect(insText('fr', { ...jeanne, ins: null })).toBeNull();
  });
});
