import { describe, expect, it } from 'vitest';
import { RefusalDelay } from './refusal-delay.ts';

describe('RefusalDelay', () => {
  const make = (o: ConstructorParameters<typeof RefusalDelay>[0] = {}) => {
    let now = 1_000_000;
    const delay = new RefusalDelay({
      baseMs: 500,
      maxMs: 4_000,
      forgetMs: 60_000,
      maxHeldPerAddress: 100,
      ...o,
      clock: () => now,
    });
    return { delay, advance: (ms: number) => (now += ms) };
  };

  it('doubles the wait with each failure in a row from one address, up to the cap', () => {
    const { delay } = make();
    const waits = Array.from({ length: 6 }, () => delay.fail('198.51.100.7').delayMs);
    expect(waits).toEqual([500, 1_000, 2_000, 4_000, 4_000, 4_000]);
  });

  it('keeps each address to itself', () => {
    const { delay } = make();
    delay.fail('198.51.100.7');
    delay.fail('198.51.100.7');
    expect(delay.fail('203.0.113.9')).toEqual({ delayMs: 500, failures: 1 });
  });

  it('starts again after forgetMs without a failure, not a moment before', () => {
    const { delay, advance } = make();
    delay.fail('a');
    advance(60_000);
    expect(delay.fail('a').failures).toBe(2); // exactly forgetMs later: still in a row
    advance(60_001);
    expect(delay.fail('a')).toEqual({ delayMs: 500, failures: 1 });
  });

  it('holds at most maxHeldPerAddress refusals of an address at once; beyond, answers at once', () => {
    const { delay } = make({ maxHeldPerAddress: 2 });
    expect(delay.fail('a').delayMs).toBe(500);
    expect(delay.fail('a').delayMs).toBe(1_000);
    expect(delay.fail('a')).toEqual({ delayMs: 0, failures: 3 });
    expect(delay.held('a')).toBe(2);
    expect(delay.fail('b').delayMs).toBe(500); // other addresses keep their own slots
    delay.release('a');
    expect(delay.fail('a').delayMs).toBe(4_000);
    expect(delay.held('a')).toBe(2);
  });

  it('forgets the least recently failing address when it remembers too many', () => {
    const { delay } = make({ maxAddresses: 2 });
    delay.fail('a');
    delay.fail('b');
    delay.fail('a'); // a failed last: b is the oldest now
    delay.fail('c');
    expect(delay.fail('a').failures).toBe(3);
    expect(delay.fail('b').failures).toBe(1);
  });

  it('refuses impossible settings', () => {
    expect(() => new RefusalDelay({ baseMs: 10, maxMs: 5 })).toThrow(TypeError);
    expect(() => new RefusalDelay({ maxHeldPerAddress: 0 })).toThrow(TypeError);
  });
});
