/**
 * What the console's address says after Pro Santé Connect sent the browser back with a refusal
 * (`/console?psc_error=CODE`, web/routes/psc.ts): the code, if it is one of common/errors.ts, and the
 * address without it (so that a reload does not repeat it).
 */
import { errorCodeSchema, type ErrorCode } from '../../../common/errors.ts';

export function pscReturn(href: string): { code: ErrorCode | undefined; cleaned: string | undefined } {
  const url = new URL(href);
  const raw = url.searchParams.get('psc_error');
  if (raw === null) return { code: undefined, cleaned: undefined };
  url.searchParams.delete('psc_error');
  const parsed = errorCodeSchema.safeParse(raw);
  // An unknown code (an edited address) is said as a generic refusal of the provider.
  return { code: parsed.success ? parsed.data : 'psc_provider_refused', cleaned: url.href };
}
