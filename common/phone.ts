/**
 * Telephone numbers as people type them (French national "06 12 34 56 78", or international
 * "+44 20 7946 0958", "0044 …"), normalised to E.164 ("+33612345678") for `tel:` links. Shared by the
 * provisioning CLI, the server and the pages.
 */
export type PhoneResult = { ok: true; value: string } | { ok: false; error: 'phone_invalid' };

/** Separators people put in numbers: spaces (also non-breaking), dots, dashes, parentheses, slashes. */
const SEPARATORS = /[\s.\-()/\u00a0]/g;

export function normalisePhone(input: string): PhoneResult {
  const compact = input.replace(SEPARATORS, '');
  // French national format: a 0 then nine digits, the first of them 1 to 9.
  const national = /^0([1-9]\d{8})$/.exec(compact);
  if (national) return { ok: true, value: `+33${national[1]}` };
  const international = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  // E.164 (ITU-T E.164 §6): a country code that does not start with 0, at most 15 digits in all; 8 is
  // the shortest number in use with its country code.
  if (/^\+[1-9]\d{7,14}$/.test(international)) {
    // "+33 0 6 …": the French trunk 0 is dropped after the country code.
    const french = /^\+330([1-9]\d{8})$/.exec(international);
    return { ok: true, value: french ? `+33${french[1]}` : international };
  }
  return { ok: false, error: 'phone_invalid' };
}

/** "+33612345678" as the French write it ("06 12 34 56 78"); other countries as E.164, grouped by three. */
export function displayPhone(e164: string, lang: 'fr' | 'en'): string {
  const french = /^\+33(\d)(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(e164);
  if (french) {
    const [, a, b, c, d, e] = french;
    return lang === 'fr' ? `0${a} ${b} ${c} ${d} ${e}` : `+33 ${a} ${b} ${c} ${d} ${e}`;
  }
  return e164;
}
