/** The fall rule at its boundaries: the wearer's window to the millisecond, "I'm OK", an SOS, a restart. */
import { describe, expect, it } from 'vitest';
import type { DeviceEvent } from '../../../devices/payloads.ts';
import { DEFAULT_RULES } from '../rule.ts';
import { fallRule } from './fall.ts';

const T0 = 1_800_000_000_000;
const fall = (seq: number): DeviceEvent => ({ type: 'fall', ts: T0, seq, confidence: 0.8 });

describe('fall', () => {
  it.each([
    ['"I\'m OK" 1 ms before the end of the window cancels it', 59_999, 'cancel'],
    ['"I\'m OK" at the end of the window is too late: confirmed', 60_000, 'confirm'],
  ] as const)('%s', (_, okAfter, change) => {
    const rule = fallRule.create(T0);
    expect(rule.event!(fall(1), DEFAULT_RULES, T0)).toEqual([
      {
        kind: 'fall',
        change: 'raise',
        priority: 'high',
        detail: { seq: 1, ts: T0, confidence: 0.8, confirmAt: T0 + 60_000, status: 'pending' },
      },
    ]);
    const confirmed = rule.tick!(DEFAULT_RULES, T0 + okAfter);
    const ok = rule.event!({ type: 'im_ok', ts: T0 + okAfter, seq: 2 }, DEFAULT_RULES, T0 + okAfter);
    expect([...confirmed, ...ok].map((f) => f.change)).toEqual([change]);
    expect(rule.deadline!(DEFAULT_RULES)).toBeUndefined();
  });

  it.each([
    ['an SOS inside the window confirms it', { type: 'sos', ts: T0, seq: 2 }, [['confirm', { reason: 'sos' }]]],
    [
      'a second fall updates it and keeps the deadline',
      { type: 'fall', ts: T0 + 5_000, seq: 2 },
      [['update', { seq: 2, ts: T0 + 5_000, confidence: null, confirmAt: T0 + 60_000 }]],
    ],
    ['a removed watch is not its business', { type: 'removed', ts: T0, seq: 2 }, []],
  ] as const)('%s', (_, event, expected) => {
    const rule = fallRule.create(T0);
    rule.event!(fall(1), DEFAULT_RULES, T0);
    expect(rule.event!(event, DEFAULT_RULES, T0 + 5_000).map((f) => [f.change, f.detail])).toEqual(expected);
  });

  it('without a pending fall, "I\'m OK", an SOS and the timer do nothing', () => {
    const rule = fallRule.create(T0);
    expect(rule.event!({ type: 'im_ok', ts: T0, seq: 1 }, DEFAULT_RULES, T0)).toEqual([]);
    expect(rule.event!({ type: 'sos', ts: T0, seq: 2 }, DEFAULT_RULES, T0)).toEqual([]);
    expect(rule.tick!(DEFAULT_RULES, T0 + 3_600_000)).toEqual([]);
  });

  it("confirms on the patient's own window, recording it", () => {
    const rules = { ...DEFAULT_RULES, fallWindowMs: 30_000 };
    const rule = fallRule.create(T0);
    rule.event!(fall(1), rules, T0);
    expect(rule.tick!(rules, T0 + 29_999)).toEqual([]);
    expect(rule.tick!(rules, T0 + 30_000).map((f) => f.detail)).toEqual([{ reason: 'no_response', windowMs: 30_000 }]);
  });

  it.each([
    ['a pending fall resumes its window', 'pending', { confirmAt: T0 + 20_000 }, T0 + 20_000],
    ['a pending fall without its deadline is confirmed at once', 'pending', {}, T0],
    ['a confirmed fall has no window left', 'confirmed', { confirmAt: T0 + 20_000 }, undefined],
  ] as const)('after a restart, %s', (_, status, detail, deadline) => {
    const rule = fallRule.create(T0);
    rule.restore({ kind: 'fall', priority: 'high', status, detail }, T0);
    expect(rule.deadline!(DEFAULT_RULES)).toBe(deadline);
  });
});
