import { describe, expect, it } from 'vitest';
import { validityMessage, type FieldState } from './validity.ts';
import { MESSAGES } from './i18n.ts';

const VALID = {
  valid: true,
  valueMissing: false,
  typeMismatch: false,
  tooShort: false,
  tooLong: false,
  rangeUnderflow: false,
  rangeOverflow: false,
  badInput: false,
  stepMismatch: false,
  patternMismatch: false,
};
const field = (type: string, wrong: Partial<typeof VALID>, more: Partial<FieldState> = {}): FieldState => ({
  validity: { ...VALID, valid: false, ...wrong },
  type,
  value: '',
  minLength: -1,
  maxLength: -1,
  ...more,
});

describe('validityMessage', () => {
  it('says nothing about a valid field', () => {
    expect(validityMessage('fr', { ...field('text', {}), validity: VALID })).toBe('');
  });

  it.each([
    ['an empty field', field('text', { valueMissing: true }), 'form.required', {}],
    ['an empty list', field('select-one', { valueMissing: true }), 'form.choose', {}],
    ['an e-mail without @', field('email', { typeMismatch: true }), 'form.email', {}],
    [
      'a short password',
      field('password', { tooShort: true }, { value: 'abcé', minLength: 10 }),
      'form.too_short',
      { min: '10', length: '4' },
    ],
    ['a long label', field('text', { tooLong: true }, { maxLength: 80 }), 'form.too_long', { max: '80' }],
    ['letters in a number', field('number', { badInput: true }), 'form.number', {}],
    [
      'a number out of range',
      field('number', { rangeOverflow: true }, { min: '1', max: '30' }),
      'form.range',
      { min: '1', max: '30' },
    ],
    ['a pattern', field('text', { patternMismatch: true }), 'form.invalid', {}],
  ] as const)('%s, in French and English', (_, state, key, params) => {
    for (const lang of ['fr', 'en'] as const) {
      const expected = MESSAGES[lang][key].replace(
        /\{(\w+)\}/g,
        (_w, n: string) => (params as Record<string, string>)[n] ?? '',
      );
      expect(validityMessage(lang, state)).toBe(expected);
    }
  });
});
