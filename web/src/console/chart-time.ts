/**
 * Times on the charts in the page's language, on a 24-hour clock as in every care setting ("20:06",
 * "28 nov."), not the chart library's own US format.
 */
const LOCALES: Record<string, string> = { fr: 'fr-FR', en: 'en-GB' };
const formats = new Map<string, Intl.DateTimeFormat>();

function format(lang: string, kind: 'time' | 'day' | 'full'): Intl.DateTimeFormat {
  const key = `${lang}/${kind}`;
  let f = formats.get(key);
  if (!f) {
    const time = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' } as const;
    const day = { day: 'numeric', month: 'short' } as const;
    const options = kind === 'time' ? time : kind === 'day' ? day : { ...day, ...time };
    f = new Intl.DateTimeFormat(LOCALES[lang] ?? lang, options);
    formats.set(key, f);
  }
  return f;
}

/** Ranges up to this long label their ticks with the time of day, longer ones with the date. */
const TIME_TICKS_UP_TO_MS = 2 * 86_400_000;

/** The time of day ("20:06"). */
export function timeOfDay(ms: number, lang: string): string {
  return format(lang, 'time').format(ms);
}

/**
 * The time axis' tick steps (seconds) for a chart spanning `spanMs`: whole days when the ticks are
 * dates (a tick every 12 h would write the same date twice); the chart library's own otherwise.
 */
export function tickSteps(spanMs: number): number[] | undefined {
  return spanMs <= TIME_TICKS_UP_TO_MS ? undefined : [1, 2, 3, 7, 14].map((days) => days * 86_400);
}

/** A tick of the time axis, for a chart spanning `spanMs`. */
export function timeTick(ms: number, lang: string, spanMs: number): string {
  return format(lang, spanMs <= TIME_TICKS_UP_TO_MS ? 'time' : 'day').format(ms);
}

/** A moment in a tooltip or a table: the date and the time. */
export function timeFull(ms: number, lang: string): string {
  return format(lang, 'full').format(ms);
}
