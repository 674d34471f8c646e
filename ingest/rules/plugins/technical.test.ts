/** The technical rules at their boundaries: stale data, offline, watch removed, low battery, SOS. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../rule.ts';
import { lowBatteryRule } from './low-battery.ts';
import { offlineRule } from './offline.ts';
import { removedRule } from './removed.ts';
import { sosRule } from './sos.ts';
import { staleDataRule } from './stale-data.ts';

const T0 = 1_800_000_000_000;
const R = DEFAULT_RULES;

describe('sos', () => {
  it('is raised at every press, and only by an SOS', () => {
    const rule = sosRule.create(T0);
    expect(rule.event!({ type: 'sos', ts: T0, seq: 1 }, R, T0)).toEqual([
      { kind: 'sos', change: 'raise', priority: 'high', detail: { seq: 1, ts: T0 } },
    ]);
    expect(rule.event!({ type: 'sos', ts: T0 + 1, seq: 2 }, R, T0 + 1)).toHaveLength(1);
    expect(rule.event!({ type: 'fall', ts: T0, seq: 3 }, R, T0)).toEqual([]);
  });
});

describe('stale data', () => {
  it.each([
    ['1 ms before staleAfterMs: nothing', 15 * 60_000 - 1, []],
    ['at staleAfterMs: raised with the limit it used', 15 * 60_000, [{ lastVitalsAt: T0, afterMs: 15 * 60_000 }]],
  ])('%s', (_, after, details) => {
    const rule = staleDataRule.create(T0);
    expect(rule.deadline!(R)).toBe(T0 + 15 * 60_000);
    expect(rule.tick!(R, T0 + after).map((f) => f.detail)).toEqual(details);
  });

  it('is raised once, and cleared by the next sample of any kind, which restarts the clock', () => {
    const rule = staleDataRule.create(T0);
    expect(rule.tick!(R, T0 + 15 * 60_000)).toHaveLength(1);
    expect(rule.tick!(R, T0 + 30 * 60_000)).toEqual([]);
    expect(rule.deadline!(R)).toBeUndefined();
    const later = T0 + 31 * 60_000;
    expect(rule.vitals!({ ts: later, seq: 1, steps: 3 }, R, later).map((f) => f.change)).toEqual(['clear']);
    expect(rule.deadline!(R)).toBe(later + 15 * 60_000);
  });

  it('after a restart, an open alert is cleared by the next vitals', () => {
    const rule = staleDataRule.create(T0);
    rule.restore({ kind: 'stale-data', priority: 'medium', status: 'confirmed', detail: {} }, T0);
    expect(rule.vitals!({ ts: T0, seq: 1, hr: 70 }, R, T0).map((f) => f.change)).toEqual(['clear']);
  });
});

describe('offline', () => {
  it.each([
    ['back online 1 ms before offlineAfterMs: nothing', 5 * 60_000 - 1, false],
    ['still offline at offlineAfterMs: raised', 5 * 60_000, true],
  ])('%s', (_, after, raised) => {
    const rule = offlineRule.create(T0);
    rule.presence!(false, R, T0);
    const out = [...rule.tick!(R, T0 + after), ...rule.presence!(true, R, T0 + after)];
    expect(out.map((f) => [f.change, f.detail])).toEqual(
      raised
        ? [
            ['raise', { since: T0, afterMs: 5 * 60_000 }],
            ['clear', {}],
          ]
        : [],
    );
  });

  it('counts from the first Last Will, not from a repeated one', () => {
    const rule = offlineRule.create(T0);
    rule.presence!(false, R, T0);
    rule.presence!(false, R, T0 + 60_000);
    expect(rule.deadline!(R)).toBe(T0 + 5 * 60_000);
    expect(offlineRule.create(T0).deadline!(R)).toBeUndefined();
  });
});

describe('watch removed', () => {
  it.each([
    ['a battery reading does not clear it', { battery: 50 }, []],
    ['a heart rate clears it', { hr: 72 }, ['clear']],
  ])('%s', (_, reading, changes) => {
    const rule = removedRule.create(T0);
    expect(rule.event!({ type: 'removed', ts: T0, seq: 1 }, R, T0).map((f) => f.detail)).toEqual([{ seq: 1 }]);
    expect(rule.event!({ type: 'removed', ts: T0, seq: 2 }, R, T0)).toEqual([]);
    expect(rule.vitals!({ ts: T0, seq: 3, ...reading }, R, T0).map((f) => f.change)).toEqual(changes);
  });
});

describe('low battery', () => {
  it.each([
    [16, 'nothing above the limit', []],
    [15, 'raised at the limit', [['raise', { battery: 15, limit: 15 }]]],
  ] as const)('%d %%: %s', (battery, _, expected) => {
    const rule = lowBatteryRule.create(T0);
    expect(rule.vitals!({ ts: T0, seq: 1, battery }, R, T0).map((f) => [f.change, f.detail])).toEqual(expected);
  });

  it.each([
    [24, []],
    [25, [['clear', { battery: 25, clearAt: 25 }]]],
  ] as const)('once low, %d %% clears it only from the limit + the hysteresis', (battery, expected) => {
    const rule = lowBatteryRule.create(T0);
    rule.restore({ kind: 'low-battery', priority: 'low', status: 'confirmed', detail: {} }, T0);
    expect(rule.vitals!({ ts: T0, seq: 1, battery }, R, T0).map((f) => [f.change, f.detail])).toEqual(expected);
  });

  it("takes the watch's event without a level as empty, and the patient's own limit", () => {
    const rule = lowBatteryRule.create(T0);
    const rules = { ...R, lowBatteryPercent: 30 };
    expect(rule.event!({ type: 'low_battery', ts: T0, seq: 1 }, rules, T0).map((f) => f.detail)).toEqual([
      { battery: 0, limit: 30 },
    ]);
    expect(rule.event!({ type: 'sos', ts: T0, seq: 2 }, rules, T0)).toEqual([]);
  });
});
