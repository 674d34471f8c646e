/** The low-battery rule at its boundaries: the limit, the hysteresis, the event without a level. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../rule.ts';
import { lowBatteryRule } from './low-battery.ts';

const T0 = 1_800_000_000_000;
const R = DEFAULT_RULES;

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
