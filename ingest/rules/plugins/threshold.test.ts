/** The threshold rule through its plugin: the limit's edge, late readings, a device's HI/LO, a restart. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../rule.ts';
import { thresholdsFor } from '../thresholds.ts';
import { thresholdRule } from './threshold.ts';

const T0 = 1_800_000_000_000;
const R = DEFAULT_RULES;
const temp = (sec: number, value: number) => ({ ts: T0 + sec * 1000, seq: sec, temp: value });

describe('threshold', () => {
  it.each([
    ['38.0 is not above 38.0', 38.0, []],
    ['38.1 three readings in a row raises temp-high', 38.1, [['threshold:temp-high', 'raise', 38.1]]],
    [
      '39.1 raises temp-high and temp-very-high',
      39.1,
      [
        ['threshold:temp-high', 'raise', 39.1],
        ['threshold:temp-very-high', 'raise', 39.1],
      ],
    ],
  ] as const)('%s', (_, value, expected) => {
    const rule = thresholdRule.create(T0);
    const out = [0, 30, 60].flatMap((sec) => rule.vitals!(temp(sec, value), R, T0 + sec * 1000));
    expect(out.map((f) => [f.kind, f.change, f.detail.value])).toEqual(expected);
  });

  it('records the rule it used', () => {
    const rule = thresholdRule.create(T0);
    const [f] = [0, 30, 60].flatMap((sec) => rule.vitals!(temp(sec, 38.4), R, T0));
    expect(f).toEqual({
      kind: 'threshold:temp-high',
      change: 'raise',
      priority: 'medium',
      detail: { vital: 'temp', value: 38.4, limit: 38, direction: 'above', sustain: { readings: 3 }, hysteresis: 0.3 },
    });
  });

  it('leaves out a reading older than the newest of its vital', () => {
    const rule = thresholdRule.create(T0);
    rule.vitals!(temp(100, 37), R, T0);
    expect([10, 20, 30].flatMap((sec) => rule.vitals!(temp(sec, 39.5), R, T0))).toEqual([]);
  });

  it.each([
    ['below: the most severe enabled rule', 'below', R, 'threshold:glucose-very-low'],
    [
      'below, that one disabled: the next',
      'below',
      { ...R, thresholds: thresholdsFor({ 'glucose-very-low': { enabled: false } }) },
      'threshold:glucose-low',
    ],
    ['above', 'above', R, 'threshold:glucose-very-high'],
  ] as const)("a meter's HI or LO, %s, at once", (_, direction, rules, kind) => {
    const rule = thresholdRule.create(T0);
    const event = { type: 'out_of_range', ts: T0, seq: 7, vital: 'glucose', direction } as const;
    const [f] = rule.event!(event, rules, T0);
    expect(f).toMatchObject({ kind, change: 'raise', detail: { value: null, beyondDeviceRange: direction, seq: 7 } });
    expect(rule.event!({ ...event, seq: 8 }, rules, T0).map((x) => x.change)).toEqual(['update']);
  });

  it('after a restart, the raised rule is cleared by a reading back past the hysteresis', () => {
    const rule = thresholdRule.create(T0);
    rule.restore({ kind: 'threshold:spo2-low', priority: 'medium', status: 'confirmed', detail: { value: 89 } }, T0);
    const spo2 = (sec: number, v: number) => rule.vitals!({ ts: T0 + sec * 1000, seq: sec, spo2: v }, R, T0);
    expect(spo2(1, 93)).toEqual([]); // 92 + 2 is the clearing edge
    expect(spo2(2, 94).map((f) => [f.kind, f.change])).toEqual([['threshold:spo2-low', 'clear']]);
  });

  it('owns every threshold:<id> alert, and nothing else', () => {
    expect(thresholdRule.owns('threshold:spo2-low')).toBe(true);
    expect(thresholdRule.owns('news2')).toBe(false);
  });
});
