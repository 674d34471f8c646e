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
