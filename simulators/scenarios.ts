/**
 * What a scenario does to an affected watch over time. `t` is seconds since the scenario started
 * (`--at` seconds after the watch started). Targets are drawn per watch from the seed.
 */
import type { EventType } from '../devices/payloads.ts';
import type { Modifier } from './physiology.ts';
import { between, P } from './random.ts';

export const SCENARIOS = [
  'normal',
  'fall-ok',
  'fall',
  'sos',
  'tachycardia',
  'desaturation',
  'fever',
  'offline',
  'low-battery',
  'removed',
  'malformed',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export interface ScenarioEvent {
  readonly atSec: number;
  readonly type: EventType;
  readonly confidence?: number;
  readonly battery?: number;
}

export interface ScenarioPlan {
  readonly events: readonly ScenarioEvent[];
  /** Changes to the physiology at t seconds into the scenario. */
  modifier(t: number): Modifier | undefined;
  /** The watch is off the network during [from, to) seconds; it buffers and then backfills. */
  readonly offline?: { readonly fromSec: number; readonly toSec: number };
  /** The watch stops sending vitals from this second (taken off the wrist). */
  readonly vitalsStopSec?: number;
  /** Every Nth reading is replaced by a malformed payload. */
  readonly malformedEvery?: number;
}

const ramp = (t: number, seconds: number) => Math.min(1, Math.max(0, t / seconds));

export interface PlanOptions {
  readonly seed: number;
  readonly index: number;
  readonly offlineMinutes: number;
  /** The watch's baseline values the targets are relative to. */
  readonly base: { readonly hr: number; readonly spo2: number; readonly temp: number; readonly battery: number };
}

export function planFor(name: ScenarioName, o: PlanOptions): ScenarioPlan {
  const target = (k: number, min: number, max: number) => between(min, max, o.seed, o.index, P.scenario, k);
  const none = { events: [], modifier: () => undefined };
  switch (name) {
    case 'normal':
      return none;
    case 'fall-ok':
      return {
        ...none,
        events: [
          { atSec: 0, type: 'fall', confidence: 0.9 },
          { atSec: 20, type: 'im_ok' },
        ],
      };
    case 'fall':
      return { ...none, events: [{ atSec: 0, type: 'fall', confidence: 0.92 }] };
    case 'sos':
      return { ...none, events: [{ atSec: 0, type: 'sos' }] };
    case 'tachycardia': {
      const hr = target(1, 130, 160);
      return { ...none, modifier: (t) => (t < 0 ? undefined : { hr: (hr - o.base.hr) * ramp(t, 90) }) };
    }
    case 'desaturation': {
      const spo2 = target(2, 84, 88);
      return { ...none, modifier: (t) => (t < 0 ? undefined : { spo2: (spo2 - o.base.spo2) * ramp(t, 120) }) };
    }
    case 'fever': {
      const temp = target(3, 38.5, 39.5);
      return { ...none, modifier: (t) => (t < 0 ? undefined : { temp: (temp - o.base.temp) * ramp(t, 120) }) };
    }
    case 'offline':
      return { ...none, offline: { fromSec: 0, toSec: o.offlineMinutes * 60 } };
    case 'low-battery': {
      // Falls to 8 % over a minute; the watch warns when it crosses 10 %.
      const level = (t: number) => o.base.battery - (o.base.battery - 8) * ramp(t, 60);
      const crossing = o.base.battery <= 10 ? 0 : (60 * (o.base.battery - 10)) / (o.base.battery - 8);
      return {
        events: [{ atSec: Math.ceil(crossing), type: 'low_battery', battery: 10 }],
        modifier: (t) => (t < 0 ? undefined : { battery: level(t) }),
      };
    }
    case 'removed':
      return { ...none, events: [{ atSec: 0, type: 'removed' }], vitalsStopSec: 0 };
    case 'malformed':
      return { ...none, malformedEvery: 3 };
    default:
      return assertNever(name);
  }
}

function assertNever(value: never): never {
  throw new TypeError(`unknown scenario ${String(value)}`);
}
