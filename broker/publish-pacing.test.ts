import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PublishPacing } from './publish-pacing.ts';

describe('PublishPacing', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  const make = () => {
    let waiting = 0;
    const pacing = new PublishPacing({
      perSecond: 10,
      burst: 3,
      clock: () => Date.now(),
      onWaiting: (d) => (waiting += d),
    });
    return { pacing, waiting: () => waiting };
  };

  it('handles a burst at once, then one publish per 1/rate s, in order', () => {
    const { pacing, waiting } = make();
    const client = 'w-1';
    const handled: number[] = [];
    for (let i = 1; i <= 6; i += 1) pacing.admit(client, () => handled.push(i));
    expect(handled).toEqual([1, 2, 3]);
    expect(pacing.waiting(client)).toBe(3);
    expect(waiting()).toBe(3);
    vi.advanceTimersByTime(99);
    expect(handled).toEqual([1, 2, 3]);
    vi.advanceTimersByTime(1);
    expect(handled).toEqual([1, 2, 3, 4]);
    vi.advanceTimersByTime(200);
    expect(handled).toEqual([1, 2, 3, 4, 5, 6]);
    expect(waiting()).toBe(0);
  });

  it('keeps a publish behind the waiting ones even when a token is back', () => {
    const { pacing } = make();
    const client = 'w-1';
    const handled: string[] = [];
    for (const n of ['a', 'b', 'c', 'd']) pacing.admit(client, () => handled.push(n));
    vi.setSystemTime(Date.now() + 100); // a token is back, but d still waits for its timer
    pacing.admit(client, () => handled.push('e'));
    expect(handled).toEqual(['a', 'b', 'c']);
    vi.advanceTimersByTime(200);
    expect(handled).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('queues what a handler admits behind what still waits (aedes reads on from a handler)', () => {
    const { pacing } = make();
    const client = 'w-1';
    const handled: string[] = [];
    for (const n of ['a', 'b', 'c']) pacing.admit(client, () => handled.push(n));
    pacing.admit(client, () => {
      handled.push('d');
      pacing.admit(client, () => handled.push('f'));
    });
    pacing.admit(client, () => handled.push('e'));
    vi.advanceTimersByTime(1_000);
    expect(handled).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('paces each client on its own: another client is handled at once while one waits', () => {
    const { pacing } = make();
    const flooder = 'w-flood';
    const other = 'w-other';
    for (let i = 0; i < 50; i += 1) pacing.admit(flooder, () => undefined);
    let handled = false;
    pacing.admit(other, () => (handled = true));
    expect(handled).toBe(true);
    expect(pacing.waiting(flooder)).toBe(47);
  });

  it('paces a device, not a connection: its publishes after a reconnection wait behind the earlier ones', () => {
    const { pacing } = make();
    const handled: string[] = [];
    for (const n of ['a', 'b', 'c', 'd']) pacing.admit('w-1', () => handled.push(n)); // first connection
    pacing.admit('w-1', () => handled.push('e')); // the same watch, connected again
    expect(handled).toEqual(['a', 'b', 'c']);
    vi.advanceTimersByTime(200);
    expect(handled).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('holds a client while its clock does not move', () => {
    let now = 0;
    const pacing = new PublishPacing({ perSecond: 10, burst: 1, clock: () => now });
    const client = 'w-1';
    const handled: number[] = [];
    pacing.admit(client, () => handled.push(1));
    pacing.admit(client, () => handled.push(2));
    vi.advanceTimersByTime(10_000);
    expect(handled).toEqual([1]);
    now += 100;
    vi.advanceTimersByTime(100);
    expect(handled).toEqual([1, 2]);
  });

  it('drops what waits when closed, and admits nothing more', () => {
    const { pacing, waiting } = make();
    const client = 'w-1';
    const handled: number[] = [];
    for (let i = 1; i <= 5; i += 1) pacing.admit(client, () => handled.push(i));
    pacing.close();
    expect(waiting()).toBe(0);
    pacing.admit(client, () => handled.push(6));
    vi.advanceTimersByTime(10_000);
    expect(handled).toEqual([1, 2, 3]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('refuses impossible settings', () => {
    expect(() => new PublishPacing({ perSecond: 0, burst: 1 })).toThrow(TypeError);
    expect(() => new PublishPacing({ perSecond: 1, burst: 0 })).toThrow(TypeError);
  });
});
