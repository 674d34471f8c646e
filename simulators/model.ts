/**
 * One simulated watch, without the network: given the time of each tick it says what the watch
 * publishes and whether it is online. Deterministic for a seed; the fleet adds the MQTT transport.
 */
import type { VitalSample } from '../devices/payloads.ts';
import { MAX_SAMPLES } from '../devices/limits.ts';
import { encodeJson } from '../devices/protocol.ts';
import { baselineFor, sample, type Baseline } from './physiology.ts';
import { planFor, type ScenarioName, type ScenarioPlan } from './scenarios.ts';
import { MALFORMED_PAYLOADS } from './malformed.ts';

export interface Outgoing {
  readonly channel: 'vitals' | 'events';
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly malformed?: boolean;
}

export interface WatchModelOptions {
  readonly seed: number;
  readonly index: number;
  readonly startTs: number;
  readonly intervalMs: number;
  readonly qos: 0 | 1;
  /** The scenario this watch acts out (`normal` if it is not affected). */
  readonly scenario: ScenarioName;
  /** Seconds after the start when the scenario begins. */
  readonly atSec: number;
  readonly offlineMinutes: number;
}

export interface Step {
  readonly messages: readonly Outgoing[];
  readonly online: boolean;
}

export class WatchModel {
  readonly baseline: Baseline;
  readonly #o: WatchModelOptions;
  readonly #plan: ScenarioPlan;
  #intervalMs: number;
  #tick = 0;
  #seq = 0;
  #nextEvent = 0;
  #buffered: VitalSample[] = [];

  constructor(options: WatchModelOptions) {
    this.#o = options;
    this.#intervalMs = options.intervalMs;
    this.baseline = baselineFor(options.seed, options.index);
    this.#plan = planFor(options.scenario, {
      seed: options.seed,
      index: options.index,
      offlineMinutes: options.offlineMinutes,
      base: this.baseline,
    });
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** A `set_interval` command. */
  setInterval(ms: number): void {
    this.#intervalMs = ms;
  }

  /** What the watch does at time ts (called once per interval). */
  step(ts: number): Step {
    const t = (ts - this.#o.startTs) / 1000 - this.#o.atSec;
    const messages: Outgoing[] = [];
    const events = this.#plan.events;
    for (let e = events[this.#nextEvent]; e && t >= e.atSec; e = events[++this.#nextEvent]) {
      const { atSec: _at, ...rest } = e;
      messages.push({ channel: 'events', qos: 1, payload: encodeJson({ ts, seq: this.#seq++, ...rest }) });
    }
    const tick = this.#tick++;
    const stopped = this.#plan.vitalsStopSec !== undefined && t >= this.#plan.vitalsStopSec;
    const offline = this.#plan.offline !== undefined && t >= this.#plan.offline.fromSec && t < this.#plan.offline.toSec;
    if (!stopped) {
      const reading = sample(this.baseline, {
        seed: this.#o.seed,
        index: this.#o.index,
        tick,
        ts,
        seq: this.#seq++,
        elapsedMs: ts - this.#o.startTs,
        intervalSec: this.#intervalMs / 1000,
        ...(t >= 0 ? { modifier: this.#plan.modifier(t) } : {}),
      });
      const every = this.#plan.malformedEvery;
      if (offline) {
        this.#buffered.push(reading);
      } else if (every !== undefined && t >= 0 && tick % every === 0) {
        const bad = MALFORMED_PAYLOADS[Math.floor(tick / every) % MALFORMED_PAYLOADS.length];
        if (bad)
          messages.push({ channel: 'vitals', qos: this.#o.qos, payload: bad.build(ts, reading.seq), malformed: true });
      } else {
        messages.push({ channel: 'vitals', qos: this.#o.qos, payload: encodeJson(reading) });
      }
    }
    if (!offline && this.#buffered.length > 0) {
      // Back online: everything recorded while away, oldest first, in protocol-sized chunks.
      const chunks: Outgoing[] = [];
      for (let i = 0; i < this.#buffered.length; i += MAX_SAMPLES) {
        chunks.push({
          channel: 'vitals',
          qos: 1,
          payload: encodeJson({ samples: this.#buffered.slice(i, i + MAX_SAMPLES) }),
        });
      }
      messages.unshift(...chunks);
      this.#buffered = [];
    }
    return { messages, online: !offline };
  }
}
