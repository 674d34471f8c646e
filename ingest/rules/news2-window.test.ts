/** NEWS2 on a short window: band edges exact, one outlier ignored, a sustained change scored after the window. */
import { describe, expect, it } from 'vitest';
import { MAX_WINDOW_READINGS, NEWS2_WINDOW, News2Window, windowedNews2, type News2Sample } from './news2-window.ts';

const T0 = 1_800_000_000_000;
const SCORING = { spo2Scale: 1, onOxygen: false } as const;
const at = (sec: number) => T0 + sec * 1000;

function windowOf(samples: readonly News2Sample[]): News2Window {
  const w = new News2Window();
  for (const s of samples) w.add(s);
  return w;
}

/** A steady pulse every 5 s for `seconds`, starting at `from` (seconds). */
const pulse = (from: number, seconds: number, hr: (i: number) => number): News2Sample[] =>
  Array.from({ length: seconds / 5 }, (_, i) => ({ ts: at(from + i * 5), hr: hr(i) }));

const pulsePoints = (samples: readonly News2Sample[], sec: number) =>
  windowedNews2(windowOf(samples), at(sec), SCORING)?.result.points.pulse;

describe('the median', () => {
  it.each([
    [[5, 6, 4], 5],
    [[3, 1, 2], 2],
    [[4, 1, 3, 2], 2.5],
    [[90, 91, 90, 91], 90.5],
    [[70, 70, 200], 70],
    [[200, 70, 70, 70, 200], 70],
  ])('of %j is %d', (values, expected) => {
    const w = windowOf(values.map((hr, i) => ({ ts: at(i), hr })));
    expect(w.observe(at(values.length - 1)).hr).toEqual({
      value: expected,
      readings: values.length,
      method: 'median',
    });
  });
});

describe('the band edges stay those of the chart', () => {
  // Steady readings at a value: the median is that value, so the chart's points are unchanged.
  it.each([
    [50, 1],
    [51, 0],
    [90, 0],
    [91, 1],
    [110, 1],
    [111, 2],
    [130, 2],
    [131, 3],
  ])('a steady pulse of %d scores %d', (hr, expected) => {
    expect(
      pulsePoints(
        pulse(0, 60, () => hr),
        55,
      ),
    ).toBe(expected);
  });

  it('an even count takes the mean of the middle two, then the chart rounds it half up', () => {
    // 90 and 91 alternating: median 90.5, rounded to 91: one point, as the chart scores 91.
    expect(
      pulsePoints(
        pulse(0, 60, (i) => (i % 2 ? 91 : 90)),
        55,
      ),
    ).toBe(1);
    // 89, 90 alternating: 89.5 rounds to 90: no point.
    expect(
      pulsePoints(
        pulse(0, 60, (i) => (i % 2 ? 90 : 89)),
        55,
      ),
    ).toBe(0);
  });
});

describe('noise', () => {
  it.each([
    ['one reading of 135 among 75s', [75, 75, 75, 135, 75], 0],
    ['one reading of 35 among 75s', [75, 75, 35, 75], 0],
    ['a third of the readings high', [75, 135, 75, 75, 135, 75], 0],
    ['half of them high: the middle two 75 and 135, median 105', [75, 135, 75, 135], 1],
    ['most of them high', [135, 75, 135, 135], 3],
  ])('%s: pulse scores %d', (_, values, expected) => {
    const samples = values.map((hr, i) => ({ ts: at(i), hr }));
    expect(pulsePoints(samples, values.length - 1)).toBe(expected);
  });

  it('a noisy pulse near a band edge, with spikes past it, keeps its score', () => {
    // About 86 with spikes over 90: scoring the latest reading would go 0, 1, 0 on every spike.
    const noisy = [85, 87, 93, 86, 84, 95, 88, 86, 92, 85, 87, 86];
    expect(noisy.filter((hr) => hr > 90)).toHaveLength(3);
    const w = new News2Window();
    const scores: number[] = [];
    noisy.forEach((hr, i) => {
      w.add({ ts: at(i * 5), hr });
      const r = windowedNews2(w, at(i * 5), SCORING);
      if (i >= 2) scores.push(r!.result.points.pulse!);
    });
    expect(new Set(scores)).toEqual(new Set([0]));
  });
});

describe('a sustained change', () => {
  it('moves the score once it is most of the window, and not before', () => {
    // 5 minutes at 75, then 135 from minute 5: the median turns when the 135s are more than half
    // of the last 5 minutes' readings, two and a half minutes later.
    const before = pulse(0, 300, () => 75);
    const after = pulse(300, 300, () => 135);
    const scoreAt = (sec: number) =>
      pulsePoints(
        [...before, ...after].filter((s) => s.ts <= at(sec)),
        sec,
      );
    expect(scoreAt(295)).toBe(0);
    expect(scoreAt(300)).toBe(0); // one reading of 135
    expect(scoreAt(445)).toBe(0); // 30 of the 61 readings of the last 5 minutes (both ends counted)
    expect(scoreAt(450)).toBe(3); // 31 of 61: the median is 135
    expect(scoreAt(600)).toBe(3);
  });
});

describe('spot observations', () => {
  it.each([
    ['a single cuff reading of 95', [{ sec: 0, sys: 95 }], 60, 2, 'spot'],
    [
      'two readings: the latest',
      [
        { sec: 0, sys: 95 },
        { sec: 120, sys: 120 },
      ],
      150,
      0,
      'spot',
    ],
    ['the latest, up to 10 minutes old', [{ sec: 0, sys: 95 }], 600, 2, 'spot'],
    ['older than 10 minutes: not scored', [{ sec: 0, sys: 95 }], 601, undefined, undefined],
    [
      'three in 5 minutes: their median',
      [
        { sec: 0, sys: 95 },
        { sec: 100, sys: 150 },
        { sec: 200, sys: 120 },
      ],
      200,
      0,
      'median',
    ],
  ] as const)('%s', (_, readings, sec, points, method) => {
    const w = windowOf(readings.map((r) => ({ ts: at(r.sec), sys: r.sys })));
    const r = windowedNews2(w, at(sec), SCORING);
    expect(r?.result.points.systolic).toBe(points);
    expect(r?.scored.sys?.method).toBe(method);
  });

  it('scores nothing when no parameter is there', () => {
    expect(windowedNews2(new News2Window(), T0, SCORING)).toBeUndefined();
    expect(windowedNews2(windowOf([{ ts: T0, hr: 70 }]), T0 + NEWS2_WINDOW.freshMs + 1, SCORING)).toBeUndefined();
  });
});

describe('the window', () => {
  it('leaves out a reading older than the newest of its parameter, and counts a redelivery once', () => {
    const w = new News2Window();
    expect(w.add({ ts: at(10), hr: 70 })).toBe(true);
    expect(w.add({ ts: at(5), hr: 200 })).toBe(false);
    expect(w.add({ ts: at(5), spo2: 97 })).toBe(true); // another parameter's first reading
    expect(w.observe(at(10)).hr).toEqual({ value: 70, readings: 1, method: 'spot' });
    expect(w.add({ ts: at(11), hr: 71 })).toBe(true);
    expect(w.add({ ts: at(11), hr: 71 })).toBe(true);
    expect(w.add({ ts: at(12), hr: 90 })).toBe(true);
    expect(w.observe(at(12)).hr).toEqual({ value: 71, readings: 3, method: 'median' });
    expect(w.add({ ts: at(13) })).toBe(false);
    expect(w.newest()).toBe(at(12));
    expect(new News2Window().newest()).toBe(-Infinity);
  });

  it('forgets readings older than the span, and keeps at most MAX_WINDOW_READINGS per parameter', () => {
    const w = new News2Window();
    for (let i = 0; i < MAX_WINDOW_READINGS + 50; i += 1) w.add({ ts: T0 + i * 100, hr: i < 50 ? 200 : 70 });
    expect(w.observe(T0 + (MAX_WINDOW_READINGS + 49) * 100).hr).toEqual({
      value: 70,
      readings: MAX_WINDOW_READINGS,
      method: 'median',
    });
    w.add({ ts: T0 + 3_600_000, hr: 80 });
    expect(w.observe(T0 + 3_600_000).hr).toEqual({ value: 80, readings: 1, method: 'spot' });
  });

  it('keeps the median right over hours of readings at 1 Hz (the oldest forgotten as they leave)', () => {
    // A pulse rising one beat every 10 minutes, with noise: checked against sorting the last 5 minutes.
    const hr = (sec: number) => 70 + Math.floor(sec / 600) + ((sec * 5) % 7) - 3;
    const w = new News2Window();
    const end = 4 * 3600;
    for (let sec = 0; sec <= end; sec += 1) w.add({ ts: at(sec), hr: hr(sec) });
    const last5 = Array.from({ length: 301 }, (_, i) => hr(end - 300 + i)).sort((a, b) => a - b);
    expect(w.observe(at(end)).hr).toEqual({ value: last5[150], readings: 301, method: 'median' });
  });

  it('keeps every reading of the span when a device at 1 Hz speeds up after its readings have wrapped', () => {
    // 10 minutes at 1 Hz fill the room of a 1 Hz span and go round it; then 4 readings a second
    // need more room, taken from the middle of the ring.
    const hr = (ms: number) => 60 + (Math.floor(ms / 1000) % 37) + (ms % 1000) / 1000;
    const w = new News2Window();
    const plain = plainWindow();
    const taken: number[] = [];
    for (let ms = 0; ms <= 600_000; ms += 1000) taken.push(ms);
    for (let ms = 600_250; ms <= 720_000; ms += 250) taken.push(ms);
    for (const ms of taken) {
      w.add({ ts: T0 + ms, hr: hr(ms) });
      plain.add(T0 + ms, hr(ms));
      if (ms === 0 || ms % 10_000 !== 0) continue;
      expect(w.observe(T0 + ms).hr).toEqual(plain.observe(T0 + ms));
    }
    expect(w.observe(T0 + 720_000).hr?.readings).toBe(MAX_WINDOW_READINGS);
  });

  it('scores the span of the latest moment observed, time going only forward', () => {
    const w = windowOf([70, 71, 72].map((hr, i) => ({ ts: at(i * 100), hr })));
    expect(w.observe(at(200)).hr).toEqual({ value: 71, readings: 3, method: 'median' });
    expect(w.observe(at(350)).hr).toEqual({ value: 72, readings: 1, method: 'spot' }); // 70 and 71 left the span
    expect(w.observe(at(200)).hr).toEqual({ value: 72, readings: 1, method: 'spot' });
    // A reading from before the span (a device clock behind): the latest, but not in the span.
    expect(w.observe(at(900)).hr).toBeUndefined(); // 72, 11 minutes old
    expect(w.add({ ts: at(300), hr: 73 })).toBe(true);
    expect(w.observe(at(900)).hr).toEqual({ value: 73, readings: 1, method: 'spot' });
    w.add({ ts: at(900), hr: 74 });
    w.add({ ts: at(901), hr: 75 });
    expect(w.observe(at(901)).hr).toEqual({ value: 75, readings: 1, method: 'spot' }); // 73 is not in the span
    w.add({ ts: at(902), hr: 74 });
    expect(w.observe(at(902)).hr).toEqual({ value: 74, readings: 3, method: 'median' });
  });

  it('scores the SpO2 scale and oxygen it is given', () => {
    const w = windowOf([{ ts: T0, spo2: 95 }]);
    expect(windowedNews2(w, T0, { spo2Scale: 1, onOxygen: false })?.result.points).toMatchObject({
      spo2: 1,
      airOrOxygen: 0,
    });
    expect(windowedNews2(w, T0, { spo2Scale: 2, onOxygen: true })?.result.points).toMatchObject({
      spo2: 2,
      airOrOxygen: 2,
    });
  });
});

/** The window's rules written plainly, over every reading in a list, to compare the window with. */
function plainWindow() {
  const rule = NEWS2_WINDOW;
  let from = -Infinity;
  let latest: { ts: number; value: number } | undefined;
  let kept: Array<{ ts: number; value: number }> = [];
  const forget = () => {
    kept = kept.filter((r) => r.ts >= from).slice(-MAX_WINDOW_READINGS);
  };
  return {
    add(ts: number, value: number) {
      if (latest && latest.ts > ts) return;
      if (latest?.ts === ts && kept.at(-1)?.ts === ts) kept.pop();
      latest = { ts, value };
      if (ts >= from) kept.push({ ts, value });
      from = Math.max(from, ts - rule.spanMs);
      forget();
    },
    observe(at: number) {
      from = Math.max(from, at - rule.spanMs);
      forget();
      const sorted = kept.map((r) => r.value).sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      if (sorted.length >= rule.minReadings)
        return {
          value: sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
          readings: sorted.length,
          method: 'median',
        };
      if (latest && at - latest.ts <= rule.freshMs) return { value: latest.value, readings: 1, method: 'spot' };
      return undefined;
    },
  };
}

describe('the window over a long run', () => {
  it('scores as its rules say, with readings late, repeated, bursting past the cap and pausing', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const w = new News2Window();
    const plain = plainWindow();
    let ts = T0;
    for (let n = 0; n < 30_000; n += 1) {
      const roll = random();
      // Mostly a reading a second; some bursts (10 a second), a few pauses, late and repeated ones.
      ts += roll < 0.2 ? 100 : roll < 0.201 ? 8 * 60_000 : 1000;
      const when = random() < 0.05 ? ts - Math.floor(random() * 5000) : ts;
      const hr = Math.round(40 + random() * 100) + (random() < 0.3 ? 0.5 : 0);
      w.add({ ts: when, hr });
      plain.add(when, hr);
      if (random() < 0.05) {
        const at = ts + Math.floor(random() * 12 * 60_000);
        expect(w.observe(at).hr).toEqual(plain.observe(at));
        ts = Math.max(ts, at);
      }
    }
  });
});
