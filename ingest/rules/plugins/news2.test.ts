/** The NEWS2 rule: its levels at the score's edges, the window under it, and what its detail records. */
import { describe, expect, it } from 'vitest';
import type { VitalSample } from '../../../devices/payloads.ts';
import { news2 } from '../news2.ts';
import { NEWS2_WINDOW } from '../news2-window.ts';
import { DEFAULT_RULES } from '../rule.ts';
import { news2Level, news2Rule, type News2Level } from './news2.ts';

const T0 = 1_800_000_000_000;

describe('news2Level', () => {
  it.each([
    // [inputs, current level, next level]
    [{ hr: 115, spo2: 94, temp: 38.2 }, 'none', 'none', 'score 4, nothing raised: nothing'],
    [{ hr: 115, spo2: 94, temp: 38.2 }, 'medium', 'medium', 'score 4 while medium: stays (no flapping)'],
    [{ hr: 115, spo2: 94, temp: 38.2 }, 'high', 'medium', 'score 4 while high: one step down'],
    [{ hr: 115, spo2: 93, temp: 37 }, 'medium', 'medium', 'score 4 again'],
    [{ hr: 100, spo2: 96, temp: 38.2 }, 'medium', 'none', 'score 2: cleared'],
    [{ hr: 115, spo2: 93, temp: 38.2 }, 'none', 'medium', 'score 5: medium'],
    [{ hr: 135, spo2: 93, temp: 38.2 }, 'none', 'medium', 'score 6: medium'],
    [{ hr: 135, spo2: 91, temp: 38.2 }, 'none', 'high', 'score 7: high'],
    [{ hr: 135 }, 'none', 'low', 'a single red parameter, score 3: low'],
    [{ hr: 131, spo2: 96, temp: 37 }, 'medium', 'low', 'red pulse alone while medium: low'],
  ] as const)('%j from %s gives %s (%s)', (input, current: News2Level, next, _why) => {
    expect(news2Level(news2(input), current)).toBe(next);
  });
});

describe('the NEWS2 rule', () => {
  const feed = (samples: readonly VitalSample[]) => {
    const rule = news2Rule.create(T0);
    return samples.flatMap((s) => rule.vitals!(s, DEFAULT_RULES, s.ts));
  };
  const steady = (n: number, v: Partial<VitalSample>, from = 0) =>
    Array.from({ length: n }, (_, i) => ({ ts: T0 + (from + i) * 5000, seq: from + i, ...v }));

  it.each([
    ['one red pulse among normal ones', [...steady(5, { hr: 75 }), ...steady(1, { hr: 140 }, 5)], []],
    ['three red pulses after two normal ones', [...steady(2, { hr: 75 }), ...steady(3, { hr: 140 }, 2)], ['raise']],
    ['a first reading is scored as it is (a spot observation)', steady(1, { hr: 140 }), ['raise']],
  ] as const)('%s: %j', (_, samples, changes) => {
    expect(feed(samples).map((f) => f.change)).toEqual(changes);
  });

  it('records the value scored for each parameter, how it was chosen, and the window', () => {
    const [f] = feed(steady(1, { hr: 132, spo2: 97 }));
    expect(f?.detail).toEqual({
      score: 3,
      risk: 'low-medium',
      points: { pulse: 3, spo2: 0, airOrOxygen: 0 },
      missing: ['respiration', 'systolic', 'consciousness', 'temperature'],
      partial: true,
      spo2Scale: 1,
      scored: { hr: { value: 132, readings: 1, method: 'spot' }, spo2: { value: 97, readings: 1, method: 'spot' } },
      window: NEWS2_WINDOW,
    });
    // A cuff reading in the red after six pulses: the pulse is their median, the pressure a spot.
    const [, update] = feed([...steady(6, { hr: 132, spo2: 97 }), { ts: T0 + 30_000, seq: 10, sys: 85 }]);
    expect(update).toMatchObject({ change: 'update', priority: 'medium', detail: { score: 6 } });
    expect(update?.detail.scored).toEqual({
      hr: { value: 132, readings: 6, method: 'median' },
      spo2: { value: 97, readings: 6, method: 'median' },
      sys: { value: 85, readings: 1, method: 'spot' },
    });
  });

  it('after a restart, an open NEWS2 alert is cleared by a low score', () => {
    const rule = news2Rule.create(T0);
    rule.restore({ kind: 'news2', priority: 'medium', status: 'confirmed', detail: {} }, T0);
    const out = rule.vitals!({ ts: T0, seq: 1, hr: 70, spo2: 97, temp: 37 }, DEFAULT_RULES, T0);
    expect(out.map((f) => [f.change, f.priority])).toEqual([['clear', 'medium']]);
  });
});
