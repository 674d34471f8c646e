import { describe, expect, it } from 'vitest';
import { displayPhone, normalisePhone } from './phone.ts';

describe('normalisePhone', () => {
  it.each([
    ['06 12 34 56 78', '+33612345678'],
    ['06.12.34.56.78', '+33612345678'],
    ['06-12-34-56-78', '+33612345678'],
    ['01 (42) 00 00 00', '+33142000000'],
    ['0612345678', '+33612345678'],
    ['+33 6 12 34 56 78', '+33612345678'],
    ['+33 (0)6 12 34 56 78', '+33612345678'],
    ['0033 6 12 34 56 78', '+33612345678'],
    ['+44 20 7946 0958', '+442079460958'],
    ['+1 415 555 2671', '+14155552671'],
    ['+123456789012345', '+123456789012345'],
  ])('%s is %s', (input, value) => {
    expect(normalisePhone(input)).toEqual({ ok: true, value });
  });

  it.each([
    [''],
    ['06 12 34 56'], // nine digits
    ['06 12 34 56 789'], // eleven
    ['00 12 34'], // international prefix, too few digits
    ['+0 612 345 678'], // no country code starts with 0
    ['+1234567'], // too short for any number with its country code
    ['+1234567890123456'], // 16 digits: longer than E.164 allows
    ['06 12 34 56 7a'],
    ['tel:0612345678'],
    ['++33612345678'],
  ])('refuses %j', (input) => {
    expect(normalisePhone(input)).toEqual({ ok: false, error: 'phone_invalid' });
  });
});

describe('displayPhone', () => {
  it('writes a French number as the French do, and as an international one in English', () => {
    expect(displayPhone('+33612345678', 'fr')).toBe('06 12 34 56 78');
    expect(displayPhone('+33612345678', 'en')).toBe('+33 6 12 34 56 78');
  });
  it('leaves other countries in E.164', () => {
    expect(displayPhone('+442079460958', 'fr')).toBe('+442079460958');
  });
});
