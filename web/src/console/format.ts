import { isMessageKey, type MessageKey } from '../lib/i18n.ts';
/** Small display helpers of the console. */
const formats = new Map<string, Intl.RelativeTimeFormat>();

export function ago(ms: number | null, lang: string, never: string): string {
  if (ms === null) return never;
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  let rtf = formats.get(lang);
  if (!rtf) formats.set(lang, (rtf = new Intl.RelativeTimeFormat(lang, { numeric: 'auto', style: 'short' })));
  if (s < 60) return rtf.format(-s, 'second');
  if (s < 3600) return rtf.format(-Math.round(s / 60), 'minute');
  if (s < 86_400) return rtf.format(-Math.round(s / 3600), 'hour');
  return rtf.format(-Math.round(s / 86_400), 'day');
}

export function clock(ms: number, lang: string): string {
  return new Date(ms).toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit' });
}

/** A date and time, short, in the page's language ("28/11/2026 20:06"). */
export function dateTime(ms: number, lang: string): string {
  return new Date(ms).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}

export function num(v: { value: number } | undefined, digits = 0): string {
  return v ? v.value.toFixed(digits) : '–';
}

/** The NEWS2 parameters a partial score lacks, in the page's language. */
export function missingParameters(missing: readonly string[], t: (key: MessageKey) => string): string {
  return missing.map((m) => (isMessageKey(`news2.${m}`) ? t(`news2.${m}` as MessageKey) : m)).join(', ');
}
