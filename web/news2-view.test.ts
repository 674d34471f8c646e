/** The console's NEWS2: the alert rule's window, fed from the server's recent readings or the page's. */
import { describe, expect, it } from 'vitest';
import { News2Window } from '../ingest/rules/news2-window.ts';
import { addReadings, news2Of } from './news2-view.ts';

const T0 = 1_800_000_000_000;
const SCORING = { spo2Scale: 1, onOxygen: false } as const;

describe('news2Of', () => {
  it('is null with nothing recent enough to score', () => {
    expect(news2Of(new News2Window(), SCORING, T0)).toBeNull();
    expect(news2Of(addReadings(new News2Window(), [{ ts: T0, hr: 140 }]), SCORING, T0 + 10 * 60_000 + 1)).toBeNull();
  });

  it('gives the score, the risk and what it lacks', () => {
    const w = addReadings(new News2Window(), [{ ts: T0, hr: 135, spo2: 91, temp: 38.4 }]);
    expect(news2Of(w, SCORING, T0)).toEqual({
      score: 7,
      risk: 'high',
      partial: true,
      missing: ['respiration', 'systolic', 'consciousness'],
    });
  });
});

describe('addReadings', () => {
  it('takes readings in any order, oldest first, so that a backfill after newer readings still counts', () => {
    const w = addReadings(new News2Window(), [
      { ts: T0 + 2000, hr: 75 },
      { ts: T0, hr: 75 },
      { ts: T0 + 1000, hr: 140 },
    ]);
    expect(w.observe(T0 + 2000).hr).toEqual({ value: 75, readings: 3, method: 'median' });
  });

  it("adds each vital's latest reading once: the same reading is not counted twice", () => {
    const samples = [
      { ts: T0, hr: 75 },
      { ts: T0 + 1000, hr: 76 },
      { ts: T0 + 2000, hr: 77 },
    ];
    const w = addReadings(new News2Window(), samples, {
      hr: { value: 77, ts: T0 + 2000 },
      sys: { value: 95, ts: T0 - 60_000 },
    });
    expect(w.observe(T0 + 2000)).toEqual({
      hr: { value: 76, readings: 3, method: 'median' },
      sys: { value: 95, readings: 1, method: 'spot' },
    });
  });
});
