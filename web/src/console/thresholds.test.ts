import { describe, expect, it } from 'vitest';
import { beyond, beyondBloodPressure } from './thresholds.ts';
import type { ThresholdLimit } from '../../api/schemas.ts';

const rules: ThresholdLimit[] = [
  { vital: 'hr', direction: 'above', limit: 120, priority: 'medium' },
  { vital: 'hr', direction: 'above', limit: 140, priority: 'high' },
  { vital: 'hr', direction: 'below', limit: 45, priority: 'medium' },
  { vital: 'hr', direction: 'below', limit: 40, priority: 'high' },
  { vital: 'spo2', direction: 'below', limit: 92, priority: 'medium' },
];

describe('a reading beyond the thresholds', () => {
  it.each<[string, number | undefined, ThresholdLimit | undefined]>([
    ['hr', undefined, undefined],
    ['hr', 80, undefined],
    ['hr', 120, undefined], // at the limit is not beyond it (as in the alert engine)
    ['hr', 121, rules[0]],
    ['hr', 140, rules[0]],
    ['hr', 141, rules[1]], // the more severe of the two it is past
    ['hr', 45, undefined],
    ['hr', 44, rules[2]],
    ['hr', 39, rules[3]],
    ['spo2', 91, rules[4]],
    ['temp', 41, undefined], // no threshold on that vital
  ])('%s %s', (vital, value, expected) => {
    expect(beyond(value, vital, rules)).toEqual(expected);
  });
  it('takes the furthest limit when two of the same priority are past', () => {
    const same: ThresholdLimit[] = [
      { vital: 'glucose', direction: 'below', limit: 3.9, priority: 'high' },
      { vital: 'glucose', direction: 'below', limit: 3.0, priority: 'high' },
    ];
    expect(beyond(2.5, 'glucose', same)?.limit).toBe(3.0);
    expect(beyond(3.5, 'glucose', same)?.limit).toBe(3.9);
  });
});

describe('a blood pressure beyond the thresholds', () => {
  const bp: ThresholdLimit[] = [
    { vital: 'sys', direction: 'above', limit: 180, priority: 'medium' },
    { vital: 'sys', direction: 'below', limit: 90, priority: 'high' },
    { vital: 'dia', direction: 'above', limit: 110, priority: 'medium' },
  ];
  it.each<[number | undefined, number | undefined, ThresholdLimit | undefined]>([
    [130, 80, undefined],
    [undefined, undefined, undefined],
    [185, 80, bp[0]],
    [150, 115, bp[2]],
    [85, 115, bp[1]], // the high-priority one of the two
  ])('%s/%s', (sys, dia, expected) => {
    expect(beyondBloodPressure(sys, dia, bp)).toEqual(expected);
  });
});
