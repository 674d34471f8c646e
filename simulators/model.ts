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
import { hash } from './random.ts';

/** Purpose word of the hash that offsets each watch's batch schedule. */
const BATCH_PHASE = 0x0ba7c4;

export interface Outgoing {
  readonly channel: 'vitals' | 'events';
  readonly payload: Buffer;
  readonly qos: 0 | 1;
  readonly malformed?: boolean;
  /** How many readings a well-formed `vitals` message carries (1, or a batch's length). */
  readonly readings?: number;
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
  /**
   * How often the watch uploads its readings as one `samples` message (devices/PROTOCOL.md, batched
   * uploads), in ms; 0 sends each reading as it is taken.
   */
  readonly batchMs: number;
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
  /** Readings taken and not yet sent: the current batch, and what was taken while offline. */
  #pending: VitalSample[] = [];
  /** When the next batch is due (epoch ms); each watch is offset so a fleet's uploads are spread. */
  #uploadAt: number;
  /** End of the live lease (epoch ms); readings are sent as taken before it. */
  #liveUntil = 0;
  #offline = false;

  constructor(options: WatchModelOptions) {
    this.#o = options;
    this.#intervalMs = options.intervalMs;
    if (!(options.batchMs >= 0)) throw new TypeError(`batchMs must be 0 or more, got ${options.batchMs}`);
    this.#uploadAt =
      options.startTs + (options.batchMs > 0 ? hash(options.seed, options.index, BATCH_PHASE) % options.batchMs : 0);
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

  /**
   * A `live` command received at `now`: each reading goes as it is taken until now + seconds (a
   * renewal replaces the end of the lease); 0 ends live mode at once.
   */
  live(seconds: number, now: number): void {
    this.#liveUntil = seconds > 0 ? now + seconds * 1000 : 0;
  }

  /** Whether `ts` falls within the live lease. */
  isLive(ts: number): boolean {
    return ts < this.#liveUntil;
  }

  /** A lost connection or restart: live mode does not survive it (devices/PROTOCOL.md, reconnection). */
  disconnected(): void {
    this.#liveUntil = 0;
  }

  /** Everything held, at once (before a deliberate disconnect, or when live mode starts). */
  flush(): Outgoing[] {
    const chunks: Outgoing[] = [];
    for (let i = 0; i < this.#pending.length; i += MAX_SAMPLES) {
      const chunk = this.#pending.slice(i, i + MAX_SAMPLES);
      chunks.push({
        channel: 'vitals',
        qos: 1,
        payload: encodeJson({ samples: chunk }),
        readings: chunk.length,
      });
    }
    this.#pending = [];
    return chunks;
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
        this.#pending.push(reading);
      } else if (every !== undefined && t >= 0 && tick % every === 0) {
        const bad = MALFORMED_PAYLOADS[Math.floor(tick / every) % MALFORMED_PAYLOADS.length];
        if (bad)
          messages.push({ channel: 'vitals', qos: this.#o.qos, payload: bad.build(ts, reading.seq), malformed: true });
      } else if (this.#o.batchMs === 0 || this.isLive(ts)) {
        // Whatever is still held goes first, so readings arrive oldest first.
        messages.push(...this.flush(), {
          channel: 'vitals',
          qos: this.#o.qos,
          payload: encodeJson(reading),
          readings: 1,
        });
      } else {
        this.#pending.push(reading);
      }
    }
    const backOnline = this.#offline && !offline;
    this.#offline = offline;
    // A batch is due when the next reading would come at or after its time. Back online, everything
    // recorded while away goes at once (a backfill). Alarms, above, go before either.
    const next = ts + this.#intervalMs;
    const due = next >= this.#uploadAt || this.#pending.length >= MAX_SAMPLES;
    if (!offline && (backOnline || due)) messages.push(...this.flush());
    const { batchMs } = this.#o;
    if (batchMs > 0 && this.#uploadAt <= next)
      this.#uploadAt += (Math.floor((next - this.#uploadAt) / batchMs) + 1) * batchMs;
    return { messages, online: !offline };
  }
}
