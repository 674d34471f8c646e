import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../../common/errors.ts';
import { ApiError } from './api.ts';
import { ERROR_TEXTS, errorText, explain } from './error-text.ts';

describe('error texts', () => {
  it('say every refusal of the server in French and English, with the same placeholders', () => {
    for (const code of ERROR_CODES) {
      const fr = ERROR_TEXTS.fr[code];
      const en = ERROR_TEXTS.en[code];
      expect(fr.length * en.length, code).toBeGreaterThan(0);
      expect(
        [...en.matchAll(/\{(\w+)\}/g)].map((m) => m[1]),
        code,
      ).toEqual([...fr.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));
    }
  });

  it('fill in what the refusal says, and never show the server’s own words', () => {
    expect(errorText('fr', 'sign_in_throttled', { retryAfterSeconds: 8 })).toBe(
      'Trop d’essais. Attendez 8 s avant de réessayer.',
    );
    expect(explain('en', new ApiError('alert_already_accepted', 409, { by: 'Claire' }))).toBe(
      'Claire already answered "I\u2019m on my way".',
    );
    expect(explain('fr', new Error('an English sentence from somewhere'))).toBe(
      'Réponse inattendue du service. Rechargez la page.',
    );
  });
});
