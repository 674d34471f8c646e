import { describe, expect, it } from 'vitest';
import { parseEvent, parseVitals } from '../devices/protocol.ts';
import { MAX_SAMPLES } from '../devices/limits.ts';
import type { VitalSample } from '../devices/payloads.ts';
import { WatchModel, type WatchModelOptions, type Step } from './model.ts';
import { SCENARIOS } from './scenarios.ts';
import { MALFORMED_PAYLOADS } from './malformed.ts';
import { baselineFor, isActive, nightFactor } from './physiology.ts';

const start = Date.UTC(2026, 10, 23, 0, 0, 0);
const base: WatchModelOptions = {
  seed: 7,
  index: 0,
  startTs: start,
  intervalMs: 1000,
  qos: 1,
  scenario: 'normal',
  atSec: 10,
  offlineMinutes: 2,
  batchMs: 0,
};

function run(options: Partial<WatchModelOptions>, seconds: number): Array<Step & { ts: number }> {
  const o = { ...base, ...options };
  const m = new WatchModel(o);
  return Array.from({ length: Math.round((seconds * 1000) / o.intervalMs) }, (_, i) => {
    const ts = o.startTs + i * o.intervalMs;
    return { ts, ...m.step(ts) };
  });
}
const payloads = (steps: Step[]) => steps.flatMap((s) => s.messages.map((m) => m.payload.toString()));
const vitalsOf = (steps: Array<Step & { ts: number }>) =>
  steps.flatMap((s) =>
    s.messages
      .filter((m) => m.channel === 'vitals' && !m.malformed)
      .flatMap((m) => {
        const r = parseVitals(m.payload, { now: s.ts });
        if (!r.ok) throw new Error(r.error.reason);
        return r.value.samples;
      }),
  );
const eventsOf = (steps: Array<Step & { ts: number }>) =>
  steps.flatMap((s) =>
    s.messages
      .filter((m) => m.channel === 'events')
      .map((m) => {
        const r = parseEvent(m.payload, { now: s.ts });
        if (!r.ok) throw new Error(r.error.reason);
        return { t: (s.ts - start) / 1000, ...r.value };
      }),
  );
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('determinism', () => {
  it('gives the same stream for the same seed, and another for another seed', () => {
    expect(payloads(run({}, 300))).toEqual(payloads(run({}, 300)));
    expect(payloads(run({ seed: 8 }, 300))).not.toEqual(payloads(run({}, 300)));
    expect(payloads(run({ index: 1 }, 300))).not.toEqual(payloads(run({}, 300)));
  });
});

describe('physiology', () => {
  const day = run({ intervalMs: 10_000 }, 86_400);
  const samples = vitalsOf(day);

  it('is plausible for 24 h of 20 seniors: every reading passes the protocol', () => {
    for (let index = 0; index < 20; index += 1)
      expect(vitalsOf(run({ index, intervalMs: 30_000 }, 86_400)).length).toBe(2880);
  });
  it('has a slower heart at night than in the afternoon', () => {
    const at = (fromH: number, toH: number) =>
      mean(
        samples
          .filter((s) => {
            const h = new Date(s.ts + 3_600_000).getUTCHours();
            return h >= fromH && h < toH && s.hr !== undefined;
          })
          .map((s) => s.hr ?? 0),
      );
    expect(at(2, 5) + 4).toBeLessThan(at(14, 17));
  });
  it('misses values sometimes, never all of them, and reports BP less often than HR', () => {
    const count = (k: keyof VitalSample) => samples.filter((s) => s[k] !== undefined).length;
    expect(count('hr')).toBeGreaterThan(samples.length * 0.95);
    expect(count('hr')).toBeLessThan(samples.length);
    expect(count('spo2')).toBeLessThan(samples.length * 0.99);
    expect(count('sys')).toBeLessThan(count('hr') / 10);
    expect(count('sys')).toBeGreaterThan(0);
  });
  it('has activity bouts only in the day, with steps', () => {
    const b = baselineFor(7, 0);
    const active = samples.filter((s) => isActive(b, 7, 0, s.ts));
    expect(active.length).toBeGreaterThan(0);
    expect(active.every((s) => nightFactor(s.ts, b.utcOffsetMin) <= 0.6)).toBe(true);
    expect(mean(active.map((s) => s.steps ?? 0))).toBeGreaterThan(5);
  });
  it('drains the battery slowly', () => {
    const battery = samples.filter((s) => s.battery !== undefined).map((s) => s.battery ?? 0);
    expect(battery.at(-1)).toBeLessThan(battery[0] ?? 0);
  });
});

describe('scenarios', () => {
  it.each([
    [
      'fall-ok',
      [
        [10, 'fall'],
        [30, 'im_ok'],
      ],
    ],
    ['fall', [[10, 'fall']]],
    ['sos', [[10, 'sos']]],
    ['removed', [[10, 'removed']]],
  ] as const)('%s sends its events at the right time, with QoS 1', (scenario, expected) => {
    const steps = run({ scenario }, 60);
    expect(eventsOf(steps).map((e) => [e.t, e.type])).toEqual(expected);
    expect(
      steps
        .flatMap((s) => s.messages)
        .filter((m) => m.channel === 'events')
        .every((m) => m.qos === 1),
    ).toBe(true);
  });
  it('removed: no vitals after the event', () => {
    const samples = vitalsOf(run({ scenario: 'removed' }, 60));
    expect(Math.max(...samples.map((s) => s.ts))).toBeLessThan(start + 10_000);
  });
  it.each([
    ['tachycardia', 'hr', 130, 160],
    ['desaturation', 'spo2', 82, 90],
    ['fever', 'temp', 38.3, 39.7],
  ] as const)('%s drives %s into [%d, %d] after the ramp', (scenario, key, min, max) => {
    const samples = vitalsOf(run({ scenario }, 400)).filter((s) => s.ts >= start + 250_000 && s[key] !== undefined);
    expect(samples.length).toBeGreaterThan(0);
    const m = mean(samples.map((s) => s[key] ?? 0));
    expect(m).toBeGreaterThanOrEqual(min);
    expect(m).toBeLessThanOrEqual(max);
    const before = vitalsOf(run({ scenario }, 10))
      .map((s) => s[key])
      .filter((v) => v !== undefined);
    expect(before.every((v) => (v ?? 0) < min || (v ?? 0) > max)).toBe(true);
  });
  it('low-battery falls under 10 % and warns once', () => {
    const steps = run({ scenario: 'low-battery' }, 120);
    expect(eventsOf(steps).map((e) => [e.type, 'battery' in e ? e.battery : undefined])).toEqual([['low_battery', 10]]);
    expect(vitalsOf(steps).at(-1)?.battery).toBe(8);
  });
  it('offline: goes off the network, then backfills every reading with its original timestamp', () => {
    const steps = run({ scenario: 'offline', offlineMinutes: 10 }, 800);
    const offline = steps.filter((s) => !s.online);
    expect(offline.length).toBe(600);
    expect(offline.every((s) => s.messages.length === 0)).toBe(true);
    const back = steps.find((s) => s.online && s.ts > start + 10_000 && s.messages.length > 1);
    const chunks = back?.messages.filter((m) => m.payload.toString().startsWith('{"samples"')) ?? [];
    expect(chunks.length).toBe(Math.ceil(600 / MAX_SAMPLES));
    const backfilled = chunks.flatMap((c) => {
      const r = parseVitals(c.payload, { now: back?.ts ?? 0 });
      return r.ok ? r.value.samples : [];
    });
    expect(backfilled.map((s) => s.ts)).toEqual(offline.map((s) => s.ts));
    const all = vitalsOf(steps);
    expect(new Set(all.map((s) => s.seq)).size).toBe(all.length);
    expect(all.length).toBe(800);
  });
  it('malformed: sends every kind of broken payload, each rejected with its code', () => {
    const steps = run({ scenario: 'malformed' }, 60);
    const bad = steps.flatMap((s) => s.messages.filter((m) => m.malformed).map((m) => ({ m, ts: s.ts })));
    expect(bad.length).toBeGreaterThanOrEqual(MALFORMED_PAYLOADS.length);
    const codes = bad.map(({ m, ts }) => {
      const r = parseVitals(m.payload, { now: ts });
      return r.ok ? 'accepted' : r.error.code;
    });
    expect(codes).not.toContain('accepted');
    expect(new Set(codes)).toEqual(new Set(MALFORMED_PAYLOADS.map((p) => p.code)));
    expect(vitalsOf(steps).length).toBeGreaterThan(30); // the good readings still flow
  });
  it('covers every scenario name', () => {
    for (const scenario of SCENARIOS) expect(() => run({ scenario }, 5)).not.toThrow();
  });
});

describe('batched uploads and live mode', () => {
  /** A watch driven second by second; `at` runs actions (commands) before the step of that second. */
  function drive(
    seconds: number,
    options: Partial<WatchModelOptions> = {},
    at: Record<number, (m: WatchModel, ts: number) => void> = {},
  ) {
    const o = { ...base, batchMs: 10_000, ...options };
    const m = new WatchModel(o);
    const steps = Array.from({ length: seconds }, (_, i) => {
      const ts = o.startTs + i * 1000;
      at[i]?.(m, ts);
      return { ts, ...m.step(ts) };
    });
    return { m, steps };
  }
  /** Each vitals message: when it went (seconds from the start), how many readings, whether a batch. */
  const uploads = (steps: Array<Step & { ts: number }>) =>
    steps.flatMap((s) =>
      s.messages
        .filter((m) => m.channel === 'vitals')
        .map((m) => ({
          t: (s.ts - start) / 1000,
          batch: m.payload.toString().startsWith('{"samples"'),
          n: m.readings,
          qos: m.qos,
        })),
    );

  it('uploads the readings of each 10 s as one QoS 1 message, oldest first, none missing or repeated', () => {
    const { m, steps } = drive(120);
    const sent = uploads(steps);
    expect(sent.every((u) => u.batch && u.qos === 1)).toBe(true);
    // After the first (offset) upload, one every 10 s, each holding the 10 readings taken since.
    const times = sent.map((u) => u.t);
    expect(times.slice(1).map((t, i) => t - (times[i] ?? 0))).toEqual(Array(times.length - 1).fill(10));
    expect(sent.slice(1).every((u) => u.n === 10)).toBe(true);
    const readings = vitalsOf(steps);
    expect(readings.map((r) => r.ts)).toEqual(readings.map((r) => r.ts).sort((a, b) => a - b));
    expect(new Set(readings.map((r) => r.seq)).size).toBe(readings.length);
    expect(readings.every((r) => r.ts <= start + (times.at(-1) ?? 0) * 1000)).toBe(true);
    // What is still held goes with flush (a deliberate disconnect): every reading taken, once.
    const held = m.flush().flatMap((c) => {
      const r = parseVitals(c.payload, { now: start + 120_000 });
      return r.ok ? r.value.samples : [];
    });
    expect(readings.length + held.length).toBe(120);
    expect(held.map((r) => r.ts)).toEqual(
      Array.from({ length: held.length }, (_, i) => start + (120 - held.length + i) * 1000),
    );
    expect(m.flush()).toEqual([]);
  });

  it('spreads the watches of a fleet over the batch period', () => {
    const first = (index: number) => uploads(drive(10, { index }).steps)[0]?.t;
    const firsts = new Set(Array.from({ length: 20 }, (_, index) => first(index)));
    expect(firsts.size).toBeGreaterThan(5);
  });

  it('holds at most MAX_SAMPLES readings in one upload', () => {
    const o = { ...base, batchMs: 600_000, intervalMs: 100 };
    const m = new WatchModel(o);
    const counts = Array.from({ length: 3000 }, (_, i) => m.step(start + i * 100)).flatMap((s) =>
      s.messages.map((x) => x.readings),
    );
    expect(counts.length).toBeGreaterThanOrEqual(5);
    expect(counts.every((n) => n !== undefined && n <= MAX_SAMPLES)).toBe(true);
    expect(counts).toContain(MAX_SAMPLES);
  });

  it('sends a fall and an SOS at once, not with the next batch', () => {
    for (const scenario of ['fall', 'sos'] as const) {
      const { steps } = drive(30, { scenario, atSec: 13 });
      expect(eventsOf(steps).map((e) => [e.t, e.type])).toEqual([[13, scenario]]);
    }
  });

  it('live: sends what it holds, then each reading as taken until the lease ends, then batches again', () => {
    const { steps } = drive(200, {}, { 25: (m, ts) => m.live(120, ts) });
    const sent = uploads(steps);
    const live = sent.filter((u) => u.t >= 25 && u.t < 145);
    // First the readings held since the last batch, as one batch, then one message per reading.
    expect(live[0]).toMatchObject({ t: 25, batch: true });
    expect(live.slice(1)).toEqual(Array.from({ length: 120 }, (_, i) => ({ t: 25 + i, batch: false, n: 1, qos: 1 })));
    // The lease ends at 145 with no renewal: back to batches of 10.
    const after = sent.filter((u) => u.t >= 145);
    expect(after.length).toBeGreaterThanOrEqual(5);
    expect(after.every((u) => u.batch)).toBe(true);
    expect(after.slice(0, -1).every((u) => u.n === 10) || after.slice(1).every((u) => u.n === 10)).toBe(true);
    const readings = vitalsOf(steps);
    expect(new Set(readings.map((r) => r.seq)).size).toBe(readings.length);
    expect(readings.map((r) => r.ts)).toEqual(readings.map((r) => r.ts).sort((a, b) => a - b));
  });

  it.each([
    ['a renewal extends the lease from when it arrives', { 20: 60, 70: 60 }, 130],
    ['a shorter renewal shortens it', { 20: 120, 30: 10 }, 40],
    ['seconds 0 ends it at once', { 20: 120, 50: 0 }, 50],
    ['seconds 0 when not live changes nothing', { 20: 0 }, 20],
  ] as const)('live: %s', (_name, commands, endsAt) => {
    const at = Object.fromEntries(
      Object.entries(commands).map(([t, seconds]) => [Number(t), (m: WatchModel, ts: number) => m.live(seconds, ts)]),
    );
    const { m, steps } = drive(200, {}, at);
    const single = uploads(steps).filter((u) => !u.batch);
    expect(single.length).toBe(endsAt - 20);
    if (single.length > 0) expect([single[0]?.t, single.at(-1)?.t]).toEqual([20, endsAt - 1]);
    expect(m.isLive(start + 199_000)).toBe(false);
  });

  it('live mode does not survive a lost connection: the watch batches until told again', () => {
    const { steps } = drive(60, {}, { 10: (m, ts) => m.live(600, ts), 30: (m) => m.disconnected() });
    const single = uploads(steps).filter((u) => !u.batch);
    expect(single.map((u) => u.t)).toEqual(Array.from({ length: 20 }, (_, i) => 10 + i));
    expect(
      uploads(steps)
        .filter((u) => u.t >= 30)
        .every((u) => u.batch),
    ).toBe(true);
  });

  it('batches with batchMs 0 is one message per reading, as before', () => {
    const { steps } = drive(30, { batchMs: 0 });
    expect(uploads(steps)).toEqual(Array.from({ length: 30 }, (_, i) => ({ t: i, batch: false, n: 1, qos: 1 })));
  });

  it('offline in batch mode: everything taken while away goes at once on return, then batches', () => {
    const { steps } = drive(300, { scenario: 'offline', atSec: 20, offlineMinutes: 2 });
    const offline = steps.filter((s) => !s.online);
    expect(offline.length).toBe(120);
    expect(offline.every((s) => s.messages.length === 0)).toBe(true);
    const back = uploads(steps).find((u) => u.t === 140);
    expect(back).toMatchObject({ batch: true });
    expect(back?.n).toBeGreaterThanOrEqual(120);
    const readings = vitalsOf(steps);
    expect(new Set(readings.map((r) => r.seq)).size).toBe(readings.length);
    expect(readings.length).toBeGreaterThan(280);
  });

  it('reading less often than it uploads, sends each reading in its own batch when taken', () => {
    const o = { ...base, batchMs: 10_000, intervalMs: 3_600_000 };
    const m = new WatchModel(o);
    const steps = Array.from({ length: 5 }, (_, i) => m.step(start + i * 3_600_000));
    expect(steps.map((s) => s.messages.map((x) => x.readings))).toEqual([[1], [1], [1], [1], [1]]);
  });

  it('refuses a negative batch period', () => {
    expect(() => new WatchModel({ ...base, batchMs: -1 })).toThrow(TypeError);
  });
});
