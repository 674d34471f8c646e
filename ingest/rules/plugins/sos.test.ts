/** The SOS rule: raised at every press. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../rule.ts';
import { sosRule } from './sos.ts';

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
