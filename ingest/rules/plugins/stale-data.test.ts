/** The stale-data rule at its boundaries: staleAfterMs to the millisecond, cleared by any sample. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../rule.ts';
import { staleDataRule } from './stale-data.ts';

const T0 = 1_800_000_000_000;
const R = DEFAULT_RULES;

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
