/** How the family page names an alert (kind and what it saw), in the page's language. */
import type { AlertView } from '../../../common/alert-api.ts';
import { isMessageKey, type MessageKey } from '../lib/i18n.ts';
import { unitOf } from '../../../common/vital-units.ts';

export function alertTitleKey(alert: Pick<AlertView, 'kind'>): MessageKey {
  const key = alert.kind.startsWith('threshold:') ? 'alert.kind.threshold' : `alert.kind.${alert.kind}`;
  return isMessageKey(key) ? key : 'alert.kind.threshold';
}

/**
 * What an alert measured, in the page's language: "Pouls 140 /min", "Glycémie HI" (the meter's own
 * word when it had no number), "NEWS2 7"; empty for an alert without a value (a fall).
 */
export function alertValue(alert: AlertView, t: (key: MessageKey) => string, lang: string): string {
  const { vital, value, beyondDeviceRange, score } = alert.detail;
  if (alert.kind === 'news2') return typeof score === 'number' ? `NEWS2 ${score}` : '';
  if (typeof vital !== 'string') return '';
  const word = isMessageKey(`vital.${vital}`) ? t(`vital.${vital}` as MessageKey) : vital;
  if (typeof value === 'number') {
    const unit = unitOf(vital) ? ` ${unitOf(vital)}` : '';
    return `${word} ${value.toLocaleString(lang)}${unit}`;
  }
  if (beyondDeviceRange === 'below') return `${word} LO`;
  if (beyondDeviceRange === 'above') return `${word} HI`;
  return '';
}

/** Most urgent first, then the oldest. */
export function byUrgency(a: AlertView, b: AlertView): number {
  const rank = { high: 0, medium: 1, low: 2 } as const;
  return rank[a.priority] - rank[b.priority] || a.openedAt - b.openedAt;
}

/** A fall or an SOS still open: the relative is shown what to do now (call the senior, call 15, go). */
export function callsForAction(alert: AlertView): boolean {
  return (alert.kind === 'fall' || alert.kind === 'sos') && alert.closedAt === null;
}

/**
 * Who is on the way to the senior and who is there, by name, whichever of their open falls and SOS
 * they answered (an SOS that confirms a fall is a second alert: someone going for one is going for
 * both). `me` is left out: their own card says it.
 */
export function onTheWay(
  alerts: readonly AlertView[],
  people: Readonly<Record<string, string>>,
  me: string,
): { going: string[]; there: string[] } {
  const going = new Set<string>();
  const there = new Set<string>();
  for (const alert of alerts.filter(callsForAction)) {
    const esc = alert.escalation;
    if (!esc?.owner || esc.owner === me) continue;
    const name = people[esc.owner] ?? esc.owner;
    if (esc.state === 'accepted') going.add(name);
    if (esc.state === 'arrived') there.add(name);
  }
  return { going: [...going].filter((n) => !there.has(n)), there: [...there] };
}

/** The alert's name and what it measured: "Mesure hors limites : Pouls 140 /min", "Chute". */
export function alertTitle(alert: AlertView, t: (key: MessageKey) => string, lang: string): string {
  const value = alertValue(alert, t, lang);
  if (!value) return t(alertTitleKey(alert));
  return `${t(alertTitleKey(alert))}${lang === 'fr' ? '\u202f: ' : ': '}${value}`;
}
