/**
 * An alert's audit trail as the pages show it: who acted by name (never an id), the stable action
 * word the page translates, the channel, and the few details its wording needs (the person it is
 * about, by name; which message; which step; the closing note). The rest of the detail (addresses,
 * delivery errors, schedules) stays on the server.
 */
import type { AuditView } from '../common/alert-api.ts';
import type { AuditLine } from './api/schemas.ts';

export function auditLine(entry: AuditView, nameOf: (id: string) => string): AuditLine {
  const d = entry.detail;
  const params: Record<string, string | number> = {};
  const about = [d.to, d.by, d.assignee].find((x): x is string => typeof x === 'string');
  if (about) params.name = nameOf(about);
  if (typeof d.kind === 'string') params.kind = d.kind;
  for (const k of ['step', 'steps', 'minutes', 'count'] as const) {
    const v = d[k];
    if (typeof v === 'number') params[k] = v;
  }
  if (typeof d.durationMs === 'number') params.minutes = Math.round(d.durationMs / 60_000);
  if (typeof d.note === 'string') params.note = d.note;
  return { at: entry.at, actor: nameOf(entry.actor), action: entry.action, channel: entry.channel, params };
}
