/**
 * Which open alerts are alarms the care team must not miss: high and medium priority, open, not yet
 * acknowledged, not snoozed. Most urgent first, then the oldest (the one waiting longest).
 */
import type { AlertView } from '../../../../common/alert-api.ts';
import type { AlarmPriority } from './patterns.ts';
import type { MessageKey } from '../i18n.ts';

export interface Alarm {
  readonly alert: AlertView & { priority: AlarmPriority };
  readonly patientName: string;
}

const RANK: Readonly<Record<AlarmPriority, number>> = { high: 0, medium: 1 };

function isAlarm(a: AlertView, now: number): a is AlertView & { priority: AlarmPriority } {
  return (
    (a.priority === 'high' || a.priority === 'medium') &&
    a.closedAt === null &&
    a.acknowledgedAt === null &&
    (a.snoozedUntil === null || a.snoozedUntil <= now)
  );
}

export function openAlarms(rows: ReadonlyArray<{ name: string; alerts: readonly AlertView[] }>, now: number): Alarm[] {
  return rows
    .flatMap((r) => r.alerts.filter((a) => isAlarm(a, now)).map((alert) => ({ alert, patientName: r.name })))
    .sort((x, y) => RANK[x.alert.priority] - RANK[y.alert.priority] || x.alert.openedAt - y.alert.openedAt);
}

/**
 * How many alarms the banner shows: the most urgent few, in openAlarms' order, so that a regional
 * team's fifty alarms do not push the patient list out of sight. The rest are one line that leads to
 * the alert feed; the sound, the title and the announcements still follow every open alarm.
 */
export const BANNER_CAP = 3;

/** The alarms the banner shows and how many it leaves to the feed (never a line for just one). */
export function bannerAlarms(alarms: readonly Alarm[], cap = BANNER_CAP): { shown: Alarm[]; more: Alarm[] } {
  if (alarms.length <= cap + 1) return { shown: [...alarms], more: [] };
  return { shown: alarms.slice(0, cap), more: alarms.slice(cap) };
}

/** "Et 5 autres alarmes, dont 2 urgentes": the banner's line for the alarms it does not show. */
export function moreAlarmsText(
  more: readonly Alarm[],
  t: (key: MessageKey, params?: Record<string, number>) => string,
) {
  const count = more.length;
  const high = more.filter((a) => a.alert.priority === 'high').length;
  const line = t(count === 1 ? 'alarm.more.one' : 'alarm.more.other', { count });
  if (high === 0) return line;
  if (high === count && count > 1) return `${line}, ${t('alarm.more.high.all')}`;
  return `${line}, ${t(high === 1 ? 'alarm.more.high.one' : 'alarm.more.high.other', { count: high })}`;
}

/** The pattern to sound: the most urgent alarm's. */
export function alarmPriority(alarms: readonly Alarm[]): AlarmPriority | null {
  return alarms[0]?.alert.priority ?? null;
}

/** "(2) URGENT — Chute — Jeanne Martin": the tab's title while alarms wait, the most urgent named. */
export function alarmTitle(alarms: readonly Alarm[], describe: (alarm: Alarm) => { priority: string; what: string }) {
  const first = alarms[0];
  if (!first) return undefined;
  const { priority, what } = describe(first);
  return `(${alarms.length}) ${priority.toLocaleUpperCase()} — ${what} — ${first.patientName}`;
}
