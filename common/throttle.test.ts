import { describe, expect, it } from 'vitest';
import { FailureThrottle } from './throttle.ts';

describe('FailureThrottle', () => {
  it('locks after the fifth failure within the window, for the lock time', () => {
    let now = 0;
    const t = new FailureThrottle({ maxFailures: 5, windowMs: 60_000, lockMs: 60_000, clock: () => now });
    for (let i = 0; i < 4; i += 1) t.fail('w-1');
    expect(t.isLocked('w-1')).toBe(false);
    t.fail('w-1');
    expect(t.isLocked('w-1')).toBe(true);
    expect(t.isLocked('w-2')).toBe(false);
    now = 59_999;
    expect(t.isLocked('w-1')).toBe(true);
    now = 60_000;
    expect(t.isLocked('w-1')).toBe(false);
  });
  it('forgets failures older than the window, and all of them after a success', () => {
    let now = 0;
    const t = new FailureThrottle({ maxFailures: 3, windowMs: 1000, lockMs: 1000, clock: () => now });
    t.fail('a');
    t.fail('a');
    now = 1001;
    t.fail('a');
    expect(t.isLocked('a')).toBe(false);
    t.fail('a');
    t.succeed('a');
    t.fail('a');
    expect(t.isLocked('a')).toBe(false);
  });
});
