import { describe, expect, it } from 'vitest';
import { SignInThrottle, type Attempt } from './sign-in-throttle.ts';

function setup() {
  let now = 0;
  const throttle = new SignInThrottle({ freeFailures: 3, baseDelayMs: 1000, clock: () => now });
  return { throttle, at: (t: number) => (now = t) };
}
const attacker: Attempt = { client: '203.0.113.9', account: 'dr@vigie.test', device: undefined };

describe('SignInThrottle', () => {
  it('lets a few failures through, then makes the client and the account wait longer each time', () => {
    const { throttle, at } = setup();
    for (let i = 0; i < 3; i += 1) {
      expect(throttle.waitMs(attacker)).toBe(0);
      throttle.fail(attacker);
    }
    expect(throttle.waitMs(attacker)).toBe(0);
    throttle.fail(attacker); // 4th: 1 s
    expect(throttle.waitMs(attacker)).toBe(1000);
    at(1000);
    throttle.fail(attacker); // 5th: 2 s
    expect(throttle.waitMs(attacker)).toBe(2000);
    at(3000);
    throttle.fail(attacker); // 6th: 4 s
    expect(throttle.waitMs(attacker)).toBe(4000);
    // The same account from another address waits too (the account's own delay).
    expect(throttle.waitMs({ ...attacker, client: '198.51.100.1' })).toBe(4000);
    // Another account from another address does not.
    expect(throttle.waitMs({ client: '198.51.100.1', account: 'other@vigie.test', device: undefined })).toBe(0);
  });

  it('never makes an account wait more than a minute, however long a stranger goes on', () => {
    const { throttle, at } = setup();
    let t = 0;
    for (let i = 0; i < 40; i += 1) {
      t += throttle.waitMs({ ...attacker, client: `203.0.113.${i}` });
      at(t);
      throttle.fail({ ...attacker, client: `203.0.113.${i}` });
    }
    expect(throttle.waitMs({ ...attacker, client: '192.0.2.77' })).toBe(60_000);
    // The attacker's own address waits far longer.
    const one = { ...attacker, client: '203.0.113.250' };
    for (let i = 0; i < 20; i += 1) {
      at(t + 1_000_000 * i);
      throttle.fail(one);
    }
    expect(throttle.waitMs(one)).toBe(15 * 60_000);
  });

  it('lets the owner in at once from a browser that signed in before, whatever a stranger does', () => {
    const { throttle } = setup();
    const owner: Attempt = { client: '192.0.2.10', account: 'dr@vigie.test', device: 'cookie-of-her-tablet' };
    throttle.succeed(owner);
    for (let i = 0; i < 30; i += 1) throttle.fail(attacker);
    expect(throttle.waitMs(attacker)).toBeGreaterThan(0);
    expect(throttle.waitMs(owner)).toBe(0);
    // Even from the attacker's own address: the trusted browser counts only against itself.
    expect(throttle.waitMs({ ...owner, client: attacker.client })).toBe(0);
    // A made-up device cookie is not trusted.
    expect(throttle.waitMs({ ...attacker, device: 'guessed' })).toBeGreaterThan(0);
  });

  it('starts afresh after a right password, and forgets old failures', () => {
    const { throttle, at } = setup();
    for (let i = 0; i < 5; i += 1) throttle.fail(attacker);
    expect(throttle.waitMs(attacker)).toBeGreaterThan(0);
    throttle.succeed(attacker);
    expect(throttle.waitMs(attacker)).toBe(0);
    for (let i = 0; i < 5; i += 1) throttle.fail(attacker);
    at(24 * 3600_000 + 1);
    expect(throttle.waitMs(attacker)).toBe(0);
  });
});
