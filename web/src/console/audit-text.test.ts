import { describe, expect, it } from 'vitest';
import { translate, type MessageKey } from '../lib/i18n.ts';
import type { AuditLine } from '../../api/schemas.ts';
import { auditText } from './audit-text.ts';

const fr = (key: MessageKey, params?: Record<string, string | number>) => translate('fr', key, params);
const en = (key: MessageKey, params?: Record<string, string | number>) => translate('en', key, params);
const line = (action: string, channel: string, params: AuditLine['params'] = {}): AuditLine => ({
  at: 0,
  actor: 'Vigie',
  action,
  channel,
  params,
});

describe('auditText', () => {
  it.each([
    [
      line('notified', 'email', { name: 'Claire Morel', kind: 'alert' }),
      'Message envoyé à Claire Morel par e-mail (alerte)',
    ],
    [line('notified', 'push', { name: 'Marc', kind: 'reminder' }), 'Message envoyé à Marc par notification (rappel)'],
    [line('notified', 'console'), 'Équipe prévenue sur la console'],
    [
      line('notification failed', 'email', { name: 'Marc', kind: 'alert' }),
      'Échec de l’envoi à Marc par e-mail (alerte)',
    ],
    [line('escalation step', 'escalation', { name: 'Marc', step: 1, steps: 2 }), 'Escalade, étape 1 sur 2 : Marc'],
    [line('accepted: on the way', 'web', { name: 'Claire' }), 'En route'],
    [line('help arrived', 'web', { name: 'Claire', minutes: 9 }), 'Sur place (9 min après)'],
    [line('resolved', 'web', { note: 'Relevée' }), 'Close : « Relevée »'],
    [line('acknowledged', 'web'), 'Acquittée'],
    [line('a word from the future', 'fax'), 'a word from the future'],
  ])('%j in French', (l, expected) => {
    expect(auditText(l, fr)).toBe(expected);
  });

  it('says it in English too, and an unknown channel as recorded', () => {
    expect(auditText(line('notified', 'sms', { name: 'Claire', kind: 'closed' }), en)).toBe(
      'Message sent to Claire by SMS (alert over)',
    );
    expect(auditText(line('notified', 'pigeon', { name: 'Claire', kind: 'alert' }), en)).toBe(
      'Message sent to Claire by pigeon (alert)',
    );
  });
});
