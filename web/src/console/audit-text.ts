/**
 * An alert's history in the page's language. The server gives each line a stable action word and
 * names (web/audit-view.ts); a word this page does not know (an entry older than these words) is
 * shown as recorded.
 */
import type { AuditLine } from '../../api/schemas.ts';
import { isMessageKey, type MessageKey } from '../lib/i18n.ts';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

const ACTIONS: Readonly<Record<string, MessageKey>> = {
  opened: 'audit.opened',
  repeated: 'audit.repeated',
  updated: 'audit.updated',
  confirmed: 'audit.confirmed',
  cancelled: 'audit.cancelled',
  'cleared and closed': 'audit.cleared-closed',
  'cleared (latched)': 'audit.cleared-latched',
  acknowledged: 'audit.acknowledged',
  'acknowledged and closed': 'audit.acknowledged-closed',
  assigned: 'audit.assigned',
  unassigned: 'audit.unassigned',
  snoozed: 'audit.snoozed',
  resolved: 'audit.resolved',
  're-notified': 'audit.renotified',
  notified: 'audit.notified',
  'notification failed': 'audit.notification-failed',
  unreachable: 'audit.unreachable',
  'not notified: no access': 'audit.no-access',
  'escalation started': 'audit.escalation-started',
  'escalation step': 'audit.escalation-step',
  'no escalation chain: the care team is notified on the console': 'audit.no-chain',
  'no arrival confirmed in time: escalating again': 'audit.arrival-overdue',
  'accepted: on the way': 'audit.accepted',
  'help arrived': 'audit.arrived',
  'escalation stopped: the alert is closed': 'audit.escalation-stopped',
};

function word(prefix: 'audit.channel' | 'audit.kind', value: string | number | undefined, t: Translate): string {
  const key = `${prefix}.${value ?? ''}`;
  return isMessageKey(key) ? t(key) : String(value ?? '');
}

export function auditText(line: AuditLine, t: Translate): string {
  // The console's own "told the team" has nobody to name.
  const key =
    line.action === 'notified' && line.params.name === undefined ? 'audit.notified-team' : ACTIONS[line.action];
  if (!key) return line.action;
  return t(key, {
    ...line.params,
    channel: word('audit.channel', line.channel, t),
    kind: word('audit.kind', line.params.kind, t),
  });
}
