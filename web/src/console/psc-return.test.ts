import { describe, expect, it } from 'vitest';
import { pscReturn } from './psc-return.ts';

describe("the console's address after Pro Santé Connect", () => {
  it.each([
    ['https://v.test/console', undefined, undefined],
    ['https://v.test/console?psc_error=psc_acr_refused', 'psc_acr_refused', 'https://v.test/console'],
    [
      'https://v.test/console?lang=en&psc_error=psc_rpps_unknown#/',
      'psc_rpps_unknown',
      'https://v.test/console?lang=en#/',
    ],
    ['https://v.test/console?psc_error=%3Cscript%3E', 'psc_provider_refused', 'https://v.test/console'],
  ])('%s', (href, code, cleaned) => {
    expect(pscReturn(href)).toEqual({ code, cleaned });
  });
});
