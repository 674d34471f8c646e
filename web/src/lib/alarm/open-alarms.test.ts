import { describe, expect, it } from 'vitest';
import type { AlertView } from '../../../../common/alert-api.ts';
import {
  alarmPriority,
  alarmTitle,
  bannerAlarms,
  BANNER_CAP,
  moreAlarmsText,
  openAlarms,
  type Alarm,
} from './open-alarms.ts';
import { translate } from '../i18n.ts';

const NOW = 1_700_000_000_000;

function alert(over: Partial<AlertView>): AlertView {
  return {
    id: 1,
    patientId: 'p1',
    kind: 'fall',
    priority: 'high',
    status: 'confirmed',
    active: true,
    acknowledgedBy: null,
    acknowledgedAt: null,
    assignee: null,
    snoozedUntil: null,
    openedAt: NOW - 60_000,
    updatedAt: NOW - 60_000,
    clearedAt: null,
    closedAt: null,
    closedReason: null,
    resolution: null,
    lastNotifiedAt: null,
    notifications: 0,
    detail: {},
    escalation: null,
    ...over,
  };
}

describe('openAlarms', () => {
  it.each([
    ['a high open alert', alert({}), true],
    ['a medium open alert', alert({ priority: 'medium' }), true],
    ['a low alert', alert({ priority: 'low' }), false],
    ['an acknowledged alert', alert({ acknowledgedAt: NOW - 1000, acknowledgedBy: 'u' }), false],
    ['a closed alert', alert({ closedAt: NOW - 1000 }), false],
    ['a snoozed alert', alert({ snoozedUntil: NOW + 1 }), false],
    ['an alert whose snooze ended', alert({ snoozedUntil: NOW }), true],
  ])('%s: alarm %s', (_, a, expected) => {
    expect(openAlarms([{ name: 'Jeanne', alerts: [a] }], NOW).length === 1).toBe(expected);
  });

  it('puts high first, then the one waiting longest', () => {
    const rows = [
      { name: 'A', alerts: [alert({ id: 1, priority: 'medium', openedAt: NOW - 9000 })] },
      { name: 'B', alerts: [alert({ id: 2, openedAt: NOW - 1000 }), alert({ id: 3, openedAt: NOW - 5000 })] },
    ];
    const alarms = openAlarms(rows, NOW);
    expect(alarms.map((a) => [a.alert.id, a.patientName])).toEqual([
      [3, 'B'],
      [2, 'B'],
      [1, 'A'],
    ]);
    expect(alarmPriority(alarms)).toBe('high');
    expect(alarmPriority(alarms.slice(2))).toBe('medium');
    expect(alarmPriority([])).toBeNull();
  });
});

describe('alarmTitle', () => {
  it('counts the alarms and names the most urgent', () => {
    const alarms = openAlarms(
      [{ name: 'Jeanne Martin', alerts: [alert({ id: 1 }), alert({ id: 2, priority: 'medium' })] }],
      NOW,
    );
    expect(alarmTitle(alarms, () => ({ priority: 'Urgent', what: 'Chute' }))).toBe(
      '(2) URGENT — Chute — Jeanne Martin',
    );
    expect(alarmTitle([], () => ({ priority: 'x', what: 'y' }))).toBeUndefined();
  });
});

describe('bannerAlarms', () => {
  const alarms = (n: number): Alarm[] =>
    openAlarms(
      Array.from({ length: n }, (_, i) => ({
        name: `Patient ${i + 1}`,
        alerts: [alert({ id: i + 1, priority: i % 2 ? 'medium' : 'high', openedAt: NOW - 1000 * (n - i) })],
      })),
      NOW,
    );
  it.each([
    [0, 0, 0],
    [1, 1, 0],
    [BANNER_CAP, BANNER_CAP, 0],
    [BANNER_CAP + 1, BANNER_CAP + 1, 0], // "and 1 more" would take the room of the alarm itself
    [BANNER_CAP + 2, BANNER_CAP, 2],
    [53, BANNER_CAP, 53 - BANNER_CAP],
  ])('of %i open alarms shows %i and leaves %i to the feed', (n, shown, more) => {
    const all = alarms(n);
    const banner = bannerAlarms(all);
    expect([banner.shown.length, banner.more.length]).toEqual([shown, more]);
    expect([...banner.shown, ...banner.more]).toEqual(all);
  });
  it('shows the most urgent first, then the oldest', () => {
    const { shown } = bannerAlarms(alarms(8));
    expect(shown.map((a) => [a.alert.priority, a.patientName])).toEqual([
      ['high', 'Patient 1'],
      ['high', 'Patient 3'],
      ['high', 'Patient 5'],
    ]);
  });
});

describe('moreAlarmsText', () => {
  const of = (priorities: string): Alarm[] =>
    [...priorities].map((p, i) => ({
      alert: alert({ id: i, priority: p === 'h' ? 'high' : 'medium' }) as Alarm['alert'],
      patientName: `Patient ${i}`,
    }));
  it.each([
    ['m', 'Et 1 autre alarme', 'And 1 more alarm'],
    ['h', 'Et 1 autre alarme, dont 1 urgente', 'And 1 more alarm, 1 urgent'],
    ['mmmmm', 'Et 5 autres alarmes', 'And 5 more alarms'],
    ['hmmmm', 'Et 5 autres alarmes, dont 1 urgente', 'And 5 more alarms, 1 urgent'],
    ['hhmmm', 'Et 5 autres alarmes, dont 2 urgentes', 'And 5 more alarms, 2 urgent'],
    ['hhhhh', 'Et 5 autres alarmes, toutes urgentes', 'And 5 more alarms, all urgent'],
  ])('says %s in French and English', (priorities, fr, en) => {
    expect(moreAlarmsText(of(priorities), (key, params) => translate('fr', key, params))).toBe(fr);
    expect(moreAlarmsText(of(priorities), (key, params) => translate('en', key, params))).toBe(en);
  });
});
