/** The watch-removed rule: raised once, cleared only by a heart rate. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../rule.ts';
import { removedRule } from './removed.ts';

const T0 = 1_800_000_000_000;
const R = DEFAULT_RULES;

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
