/** How the family page names an alert (kind and what it saw), in the page's language. */
import type { AlertView } from '../../../common/alert-api.ts';
import { isMessageKey, type MessageKey } from '../lib/i18n.ts';

export function alertTitleKey(alert: AlertView): MessageKey {
  const key = alert.kind.startsWith('threshold:') ? 'alert.kind.threshold' : `alert.kind.${alert.kind}`;
  return isMessageKey(key) ? key : 'alert.kind.threshold';
}

/** "SpO2 88" for a threshold alert; empty otherwise. */
export function alertValue(alert: AlertView): string {
  const { vital, value } = alert.detail;
  return typeof vital === 'string' && typeof value === 'number' ? `${vital.toUpperCase()} ${value}` : '';
}

/** Most urgent first, then the oldest. */
export function byUrgency(a: AlertView, b: AlertView): number {
  const rank = { high: 0, medium: 1, low: 2 } as const;
  return rank[a.priority] - rank[b.priority] || a.openedAt - b.openedAt;
}
