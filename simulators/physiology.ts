/**
 * A plausible senior: a personal baseline, a day/night rhythm, bouts of activity in the day, sensor
 * noise and occasional missing values. Pure and deterministic: a sample is a function of
 * (seed, watch index, tick, time).
 */
import type { VitalSample } from '../devices/payloads.ts';
import { VITAL_RANGES } from '../devices/limits.ts';
import { between, gaussian, uniform, P } from './random.ts';

export interface Baseline {
  readonly hr: number;
  readonly spo2: number;
  readonly temp: number;
  readonly sys: number;
  readonly dia: number;
  readonly rr: number;
  readonly battery: number;
  /** Battery percent lost per hour. */
  readonly drainPerHour: number;
  /** How active the person is in the day, 0..1. */
  readonly activity: number;
  /** Minutes east of UTC of the person's home (the rhythm follows local time). */
  readonly utcOffsetMin: number;
}

export function baselineFor(seed: number, index: number): Baseline {
  const r = (k: number, min: number, max: number) => between(min, max, seed, index, P.baseline, k);
  const sys = r(4, 110, 150);
  return {
    hr: r(1, 55, 85),
    spo2: r(2, 94, 98),
    temp: r(3, 36.1, 37.0),
    sys,
    dia: Math.min(r(5, 65, 90), sys - 30),
    rr: r(6, 12, 18),
    battery: Math.round(r(7, 60, 100)),
    drainPerHour: r(8, 0.8, 2),
    activity: r(9, 0.1, 0.6),
    utcOffsetMin: 60,
  };
}

/** Adjustments a scenario applies on top of the physiology (deltas, or a battery level). */
export interface Modifier {
  readonly hr?: number;
  readonly spo2?: number;
  readonly temp?: number;
  readonly battery?: number;
}

export interface SampleInput {
  readonly seed: number;
  readonly index: number;
  /** Sample number since the start of the stream; drives noise and which sensors report. */
  readonly tick: number;
  readonly ts: number;
  readonly seq: number;
  /** Time since the watch started, for the battery. */
  readonly elapsedMs: number;
  /** Seconds between samples. */
  readonly intervalSec: number;
  readonly modifier?: Modifier;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;
const clamp = (v: number, name: keyof typeof VITAL_RANGES) =>
  Math.min(VITAL_RANGES[name].max, Math.max(VITAL_RANGES[name].min, v));

/** Night factor: 1 at 03:00 local, 0 at 15:00, smooth in between. */
export function nightFactor(ts: number, utcOffsetMin: number): number {
  const hour = (((ts / 3_600_000 + utcOffsetMin / 60) % 24) + 24) % 24;
  return (1 + Math.cos(((hour - 3) / 24) * 2 * Math.PI)) / 2;
}

/** Whether the person is in an activity bout (10-minute blocks, only in the day). */
export function isActive(b: Baseline, seed: number, index: number, ts: number): boolean {
  if (nightFactor(ts, b.utcOffsetMin) > 0.6) return false;
  return uniform(seed, index, P.activity, Math.floor(ts / 600_000)) < b.activity * 0.5;
}

export function sample(b: Baseline, input: SampleInput): VitalSample {
  const { seed, index, tick, ts, seq, modifier = {} } = input;
  const noise = (k: number) => gaussian(seed, index, P.noise, tick, k);
  const missing = (k: number, p: number) => uniform(seed, index, P.missing, tick, k) < p;
  const night = nightFactor(ts, b.utcOffsetMin);
  const active = isActive(b, seed, index, ts);
  const everyN = (seconds: number) => tick % Math.max(1, Math.round(seconds / input.intervalSec)) === 0;

  const hr = b.hr - 8 * night + (active ? 25 : 0) + 2 * noise(1) + (modifier.hr ?? 0);
  const s: { -readonly [K in keyof VitalSample]: VitalSample[K] } = {
    ts,
    seq,
    steps: active ? Math.round(Math.max(0, (1.6 + 0.3 * noise(2)) * input.intervalSec)) : 0,
  };
  if (!missing(1, 0.02)) s.hr = round(clamp(hr, 'hr'), 0);
  if (!missing(2, 0.05))
    s.spo2 = round(clamp(b.spo2 + 0.6 * noise(3) - (active ? 0.5 : 0) + (modifier.spo2 ?? 0), 'spo2'), 0);
  if (everyN(30))
    s.temp = round(clamp(b.temp - 0.3 * night + 0.3 * (1 - night) + 0.05 * noise(4) + (modifier.temp ?? 0), 'temp'), 1);
  if (everyN(60)) s.rr = round(clamp(b.rr - 1.5 * night + (active ? 4 : 0) + 0.7 * noise(5), 'rr'), 0);
  if (everyN(300)) {
    const sys = clamp(b.sys - 10 * night + (active ? 12 : 0) + 4 * noise(6), 'sys');
    const dia = clamp(b.dia - 6 * night + (active ? 5 : 0) + 3 * noise(7), 'dia');
    s.sys = round(sys, 0);
    s.dia = round(Math.min(dia, sys - 10), 0);
  }
  if (everyN(60) || modifier.battery !== undefined) {
    const level = modifier.battery ?? b.battery - (b.drainPerHour * input.elapsedMs) / 3_600_000;
    s.battery = Math.round(clamp(level, 'battery'));
  }
  return s;
}
