/**
 * When a scheduled consultation starts, said as a person says it: « jeudi 3 décembre à 10 h 30 »,
 * "Thursday 3 December at 10:30". The e-mails speak the care organisation's time (Europe/Paris);
 * the pages speak the browser's.
 */
import type { Lang } from './people-rules.ts';

/** The time zone of e-mails, which have no browser to ask (the calendar file itself is in UTC). */
export const CARE_TIME_ZONE = 'Europe/Paris';

/** The time of day: « 10 h 30 », "10:30". */
export function clockTime(lang: Lang, at: number, timeZone?: string): string {
  const zone = timeZone === undefined ? {} : { timeZone };
  const parts = new Intl.DateTimeFormat('en-GB', {
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    ...zone,
  }).formatToParts(new Date(at));
  const hour = parts.find((p) => p.type === 'hour')?.value ?? '00';
  const minute = parts.find((p) => p.type === 'minute')?.value ?? '00';
  return lang === 'fr' ? `${Number(hour)} h ${minute}` : `${hour}:${minute}`;
}

export function appointmentWhen(lang: Lang, startsAt: number, timeZone?: string): string {
  const zone = timeZone === undefined ? {} : { timeZone };
  const locale = lang === 'fr' ? 'fr-FR' : 'en-GB';
  const day = new Intl.DateTimeFormat(locale, { weekday: 'long', day: 'numeric', month: 'long', ...zone }).format(
    new Date(startsAt),
  );
  return `${day} ${lang === 'fr' ? 'à' : 'at'} ${clockTime(lang, startsAt, timeZone)}`;
}
