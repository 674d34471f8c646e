import { describe, expect, it } from 'vitest';
import { MESSAGES, pickLang, translate } from './i18n.ts';

describe('i18n', () => {
  it('has every key in both languages, none empty, placeholders matching', () => {
    const keys = Object.keys(MESSAGES.fr).sort();
    expect(Object.keys(MESSAGES.en).sort()).toEqual(keys);
    for (const key of keys) {
      const fr = MESSAGES.fr[key as keyof typeof MESSAGES.fr];
      const en = MESSAGES.en[key as keyof typeof MESSAGES.en];
      expect(fr.length * en.length).toBeGreaterThan(0);
      // The same placeholders; their order follows each language ("fille de Jeanne", "Jeanne's daughter").
      const names = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(en), key).toEqual(names(fr));
    }
  });
  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'error.other', { detail: 'boom' })).toBe(
      'Something went wrong (code boom). Try again; if it happens again, give this code to the care team.',
    );
    expect(translate('fr', 'error.other')).toMatch(/^Un problème est survenu \(code \{detail\}\)/);
  });
  it.each([
    ['en', null, ['fr-FR'], 'en'],
    [null, 'en', ['fr-FR'], 'en'],
    [null, null, ['en-GB', 'fr'], 'en'],
    [null, null, ['de-DE', 'fr-FR'], 'fr'],
    [null, null, ['de-DE'], 'fr'],
    ['xx', null, ['en-US'], 'en'],
  ] as const)('query %s, saved %s, browser %j -> %s', (query, saved, browser, expected) => {
    expect(pickLang(query, saved, browser)).toBe(expected);
  });
});
