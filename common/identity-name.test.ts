import { describe, expect, it } from 'vitest';
import { strictName } from './identity-name.ts';

const jeanne = { birthName: 'Martin', firstNames: 'Jeanne Marie', birthDate: '1941-02-03', sex: 'female' } as const;

describe('strictName', () => {
  it('says the birth name in capitals, the first first name, the birth date and the sex', () => {
    expect(strictName('fr', jeanne, 'Mme Martin')).toBe('MARTIN Jeanne, née le 03/02/1941 (F)');
    expect(strictName('en', jeanne, 'Mme Martin')).toBe('MARTIN Jeanne, born 3 Feb 1941 (F)');
    expect(strictName('fr', { ...jeanne, firstNames: 'Paul', sex: 'male' }, 'M. Martin')).toBe(
      'MARTIN Paul, né le 03/02/1941 (M)',
    );
  });

  it('falls back on the name the care team gave without a recorded identity', () => {
    expect(strictName('fr', null, 'Mme Martin')).toBe('Mme Martin');
    expect(strictName('en', undefined, 'Mme Martin')).toBe('Mme Martin');
  });
});
