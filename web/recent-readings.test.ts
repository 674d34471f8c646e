import { describe, expect, it } from 'vitest';
import { RecentReadings } from './recent-readings.ts';

type R = { ts: number; seq: number; hr?: number; spo2?: number };

/** What the web service kept before: the readings in a list, in time order, the oldest dropped first. */
function reference(max: number) {
  const list: R[] = [];
  return {
    list,
    add(r: R): boolean {
      let at = list.length;
      while (at > 0 && list[at - 1]!.ts > r.ts) at -= 1;
      for (let i = at - 1; i >= 0 && list[i]!.ts === r.ts; i -= 1) if (list[i]!.seq === r.seq) return false;
      list.splice(at, 0, r);
      while (list.length > max) list.shift();
      return true;
    },
    dropBefore(from: number) {
      while ((list[0]?.ts ?? from) < from) list.shift();
    },
  };
}

describe('RecentReadings', () => {
  it('keeps readings in time order, with pulse and SpO2 only when they were measured', () => {
    const r = new RecentReadings(10);
    expect(r.add({ ts: 2000, seq: 2, hr: 62.4 })).toBe(true);
    expect(r.add({ ts: 1000, seq: 1, hr: 70, spo2: 97 })).toBe(true);
    expect(r.add({ ts: 3000, seq: 3, spo2: 95 })).toBe(true);
    expect(r.add({ ts: 4000, seq: 4 })).toBe(true);
    expect(r.list()).toEqual([
      { ts: 1000, seq: 1, hr: 70, spo2: 97 },
      { ts: 2000, seq: 2, hr: 62.4 },
      { ts: 3000, seq: 3, spo2: 95 },
      { ts: 4000, seq: 4 },
    ]);
    expect(Object.keys(r.list()[3]!)).toEqual(['ts', 'seq']);
  });

  it('does not keep a reading twice (same time and seq), but keeps two of the same time', () => {
    const r = new RecentReadings(10);
    expect(r.add({ ts: 1000, seq: 1, hr: 70 })).toBe(true);
    expect(r.add({ ts: 1000, seq: 1, hr: 70 })).toBe(false);
    expect(r.add({ ts: 1000, seq: 2, hr: 71 })).toBe(true);
    expect(r.list().map((x) => x.seq)).toEqual([1, 2]);
  });

  it('keeps the newest `max`: a reading older than all of them when full is not kept, yet is new', () => {
    const r = new RecentReadings(3);
    for (const ts of [1, 2, 3, 4]) r.add({ ts, seq: ts });
    expect(r.list().map((x) => x.ts)).toEqual([2, 3, 4]);
    expect(r.add({ ts: 0, seq: 0 })).toBe(true);
    expect(r.add({ ts: 3, seq: 9 })).toBe(true);
    expect(r.list().map((x) => [x.ts, x.seq])).toEqual([
      [3, 3],
      [3, 9],
      [4, 4],
    ]);
  });

  it('keeps its readings in order when it grows after going round its first room', () => {
    // A patient measured now and then: ten readings kept at most, going round the first room; then a
    // watch, whose readings need more.
    const r = new RecentReadings(100);
    let ts = 0;
    for (let i = 0; i < 40; i += 1) {
      ts += 1;
      r.add({ ts, seq: ts, hr: 60 + ts });
      r.dropBefore(ts - 9);
    }
    for (let i = 0; i < 50; i += 1) {
      ts += 1;
      r.add({ ts, seq: ts, hr: 60 + ts });
    }
    const expected = Array.from({ length: 60 }, (_, i) => 31 + i);
    expect(r.list().map((x) => x.ts)).toEqual(expected);
    expect(r.list().map((x) => x.hr)).toEqual(expected.map((t) => 60 + t));
  });

  it('forgets the readings before a time', () => {
    const r = new RecentReadings(5);
    for (const ts of [1, 2, 3, 4, 5, 6, 7]) r.add({ ts, seq: ts });
    r.dropBefore(5);
    expect(r.list().map((x) => x.ts)).toEqual([5, 6, 7]);
    r.dropBefore(100);
    expect(r.length).toBe(0);
    expect(r.list()).toEqual([]);
  });

  it('behaves as the list it replaces over a long run of late, repeated and expired readings', () => {
    let seed = 17;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const max = 700; // grows from its first room to this, then wraps
    const r = new RecentReadings(max);
    const ref = reference(max);
    let ts = 0;
    for (let n = 0; n < 20_000; n += 1) {
      ts += 1000;
      const roll = random();
      // Mostly in order; some late, some repeated (a redelivery), some with the same time.
      const at = roll < 0.1 ? ts - Math.floor(random() * 900) * 1000 : roll < 0.15 ? ts - 1000 : ts;
      const seq = roll < 0.15 && random() < 0.5 ? at / 1000 : n;
      const reading: R = { ts: at, seq, ...(random() < 0.8 ? { hr: 60 + random() * 40 } : {}) };
      if (random() < 0.3) Object.assign(reading, { spo2: 90 + Math.floor(random() * 10) });
      expect(r.add(reading)).toBe(ref.add(reading));
      if (n % 97 === 0) {
        r.dropBefore(ts - 800_000);
        ref.dropBefore(ts - 800_000);
      }
      if (n % 13 === 0) expect(r.list()).toEqual(ref.list);
    }
    expect(r.list()).toEqual(ref.list);
    expect(r.length).toBe(max);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => new RecentReadings(0)).toThrow(TypeError);
    expect(() => new RecentReadings(1.5)).toThrow(TypeError);
  });
});
