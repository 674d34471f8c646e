import { describe, expect, it } from 'vitest';
import { SeqRing, SeqWindow } from './dedupe.ts';

describe('SeqRing', () => {
  it('knows the seqs recorded, a higher one is new, and a lower one is searched for (a watch that counted again from 0)', () => {
    const ring = new SeqRing();
    for (const seq of [10, 11, 12]) ring.add(seq);
    expect([10, 11, 12].map((s) => ring.has(s))).toEqual([true, true, true]);
    expect(ring.has(13)).toBe(false);
    expect(ring.has(5)).toBe(false);
    ring.add(0); // the watch was reset
    expect(ring.has(0)).toBe(true);
    expect(ring.has(1)).toBe(false);
    expect(ring.has(11)).toBe(true);
  });

  it('forgets a seq once 128 newer ones are recorded', () => {
    const ring = new SeqRing();
    for (let seq = 1; seq <= 129; seq += 1) ring.add(seq);
    expect(ring.has(1)).toBe(false);
    expect(ring.has(2)).toBe(true);
    expect(ring.has(129)).toBe(true);
  });
});

describe('SeqWindow', () => {
  it('keeps one ring per device and channel', () => {
    const w = new SeqWindow();
    w.of('w1', 'vitals').add(7);
    expect(w.of('w1', 'vitals').has(7)).toBe(true);
    expect(w.of('w1', 'events').has(7)).toBe(false);
    expect(w.of('w2', 'vitals').has(7)).toBe(false);
  });
});
