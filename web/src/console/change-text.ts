/**
 * A set-up change in the page's language: its code names the sentence, its detail fills it. A role
 * or a list of roles in the detail is said as the page says roles.
 */
import type { ChangeView } from '../../api/schemas.ts';
import { isMessageKey, type MessageKey } from '../lib/i18n.ts';

type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

function roleWord(role: string, t: Translate): string {
  const key = `reads.role.${role}`;
  return isMessageKey(key) ? t(key) : role;
}

export function changeText(change: Pick<ChangeView, 'action' | 'detail'>, t: Translate): string {
  const params: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(change.detail)) {
    if (value === null || typeof value === 'boolean') continue;
    if (name === 'role' && typeof value === 'string') params[name] = roleWord(value, t);
    else if (name === 'roles' && typeof value === 'string')
      params[name] = value
        ? value
            .split(',')
            .map((r) => roleWord(r, t))
            .join(', ')
        : '—';
    else params[name] = value;
  }
  return t(`changes.${change.action}`, params);
}
