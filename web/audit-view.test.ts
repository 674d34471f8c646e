import { describe, expect, it } from 'vitest';
import { auditLine } from './audit-view.ts';

const names: Record<string, string> = { 'u-1': 'Claire Morel', 'u-2': 'Marc Dubois', system: 'Vigie' };
const nameOf = (id: string) => names[id] ?? id;
const entry = (action: string, channel: string, detail: Record<string, unknown>, actor = 'system') => ({
  at: 1000,
  actor,
  action,
  channel,
  detail,
});

describe('auditLine', () => {
  it.each([
    [
      'a notification: who, by name, and which message; not the address',
      entry('notified', 'email', { to: 'u-1', address: 'claire@x.test', kind: 'alert', attempt: 1 }),
      { actor: 'Vigie', action: 'notified', channel: 'email', params: { name: 'Claire Morel', kind: 'alert' } },
    ],
    [
      'an escalation step',
      entry('escalation step', 'escalation', { to: 'u-2', step: 2, steps: 3, round: 0, nextAt: 5 }),
      { action: 'escalation step', params: { name: 'Marc Dubois', step: 2, steps: 3 } },
    ],
    [
      'an acceptance, by the person who accepted',
      entry('accepted: on the way', 'web', { by: 'u-1', arrivalDueAt: 9 }, 'u-1'),
      { actor: 'Claire Morel', params: { name: 'Claire Morel' } },
    ],
    [
      'an arrival',
      entry('help arrived', 'web', { by: 'u-1', minutes: 12 }, 'u-1'),
      { params: { name: 'Claire Morel', minutes: 12 } },
    ],
    [
      'a snooze, in minutes',
      entry('snoozed', 'web', { until: 5, durationMs: 900_000 }, 'u-2'),
      { params: { minutes: 15 } },
    ],
    [
      'a closing note',
      entry('resolved', 'web', { note: 'Relevée, pas de blessure' }, 'u-2'),
      { params: { note: 'Relevée, pas de blessure' } },
    ],
    ['an assignment', entry('assigned', 'web', { assignee: 'u-2' }, 'u-1'), { params: { name: 'Marc Dubois' } }],
    ['a re-notification', entry('re-notified', 'rules', { count: 3 }), { params: { count: 3 } }],
    ['a measurement detail is not passed on', entry('opened', 'rules', { vital: 'hr', value: 140 }), { params: {} }],
    [
      'someone no longer known keeps their id',
      entry('notified', 'push', { to: 'u-9', kind: 'reminder' }),
      { params: { name: 'u-9', kind: 'reminder' } },
    ],
  ])('%s', (_, e, expected) => {
    expect(auditLine(e, nameOf)).toMatchObject({ at: 1000, ...expected });
    expect(auditLine(e, nameOf).params).toEqual(expected.params);
  });
});
