/**
 * When a professional read a record, as the patient's page and the console's access log say it: the
 * last read of an entry, and how many there were within the few minutes it stands for
 * (web/record-reads.ts coalesces them).
 */
import { translate, type Lang } from './i18n.ts';

export function readStamp(lang: Lang, read: { readonly lastAt: number; readonly count: number }): string {
  const when = new Date(read.lastAt).toLocaleString(lang, {
    hour: '2-digit',
    minute: '2-digit',
    day: 'numeric',
    month: 'short',
  });
  return read.count > 1 ? `${when} · ${translate(lang, 'reads.times', { count: read.count })}` : when;
}
