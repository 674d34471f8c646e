/** The offline rule at its boundaries: offlineAfterMs to the millisecond, a quick reconnection. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from '../rule.ts';
import { offlineRule } from './offline.ts';

const T0 = 1_800_000_000_000;
const R = DEFAULT_RULES;

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
