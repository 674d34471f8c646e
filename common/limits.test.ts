import { describe, expect, it } from 'vitest';
import { ConnectionsPerClient, TokenBucket } from './limits.ts';

describe('TokenBucket', () => {
  it('allows a burst, then the rate, as the clock moves', () => {
    let now = 0;
    const bucket = new TokenBucket(2, 3, () => now);
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
    expect(bucket.waitMs()).toBe(500);
    now = 499;
    expect(bucket.take()).toBe(false);
    now = 500;
    expect(bucket.take()).toBe(true);
    now = 60_000;
    expect([bucket.take(), bucket.take(), bucket.take(), bucket.take()]).toEqual([true, true, true, false]);
  });

  it('refuses a rate or burst that cannot work', () => {
    expect(() => new TokenBucket(0, 1)).toThrow(TypeError);
    expect(() => new TokenBucket(1, 0)).toThrow(TypeError);
  });
});

describe('ConnectionsPerClient', () => {
  it('counts each client on its own and frees a place when one closes', () => {
    const limits = new ConnectionsPerClient(2);
    expect([limits.open('a'), limits.open('a'), limits.open('a'), limits.open('b')]).toEqual([true, true, false, true]);
    limits.close('a');
    expect(limits.count('a')).toBe(1);
    expect(limits.open('a')).toBe(true);
    limits.close('b');
    limits.close('b');
    expect(limits.count('b')).toBe(0);
  });
});
