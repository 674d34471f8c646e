import { isMessageKey, type MessageKey } from '../lib/i18n.ts';
import { timeOfDay } from './chart-time.ts';
/** Small display helpers of the console. */

const durations = new Map<string, Intl.NumberFormat>();

/** How long since `ms`, short ("5 s", "3 min", "2 h", "4 j"): for a narrow column. */
export function since(ms: number, lang: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  const [value, unit] =
    s < 60
      ? [s, 'second']
      : s < 3600
        ? [Math.round(s / 60), 'minute']
        : s < 86_400
          ? [Math.round(s / 3600), 'hour']
          : [Math.round(s / 86_400), 'day'];
  const key = `${lang}/${unit}`;
  let nf = durations.get(key);
  if (!nf) durations.set(key, (nf = new Intl.NumberFormat(lang, { style: 'unit', unit, unitDisplay: 'short' })));
  return nf.format(value);
}

/** The time of day on a 24-hour clock, in both languages (chart-time.ts). */
export function clock(ms: number, lang: string): string {
  return timeOfDay(ms, lang);
}

/** A date and time, short, in the page's language ("28/11/2026 20:06"). */
export function dateTime(ms: number, lang: string): string {
  return new Date(ms).toLocaleString(lang, { dateStyle: 'short', timeStyle: 'short' });
}

const numbers = new Map<string, Intl.NumberFormat>();

/** A reading in the page's language ("37,2" in French), or a dash when there is none. */
export function num(v: { value: number } | undefined, digits = 0, lang = 'fr'): string {
  if (!v) return '–';
  const key = `${lang}/${digits}`;
  let nf = numbers.get(key);
  if (!nf) {
    nf = new Intl.NumberFormat(lang, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    numbers.set(key, nf);
  }
  return nf.format(v.value);
}

/** The unit of each vital as the console shows it. */
export { VITAL_UNITS as UNITS } from '../../../common/vital-units.ts';

/** The NEWS2 parameters a partial score lacks, in the page's language. */
export function missingParameters(missing: readonly string[], t: (key: MessageKey) => string): string {
  return missing.map((m) => (isMessageKey(`news2.${m}`) ? t(`news2.${m}` as MessageKey) : m)).join(', ');
}
