/**
 * The readings the ingest has stored, coalesced for the web service's live display
 * (common/live-values.ts). One message per device message would cost the broker a second publish
 * for every reading of the fleet; instead every device's new readings wait here at most `intervalMs`
 * and leave together, in a few messages bounded in size. A message leaves at once when none left
 * for `intervalMs` (a quiet node adds no delay), so at most one tick's worth leaves per interval.
 *
 * Falls and SOS never come here: their alert changes leave on their own topic, at once.
 */
import type { VitalSample } from '../devices/payloads.ts';
import { encodeLiveValues, LIVE_VALUES_MAX_BYTES, type LiveDeviceValues } from '../common/live-values.ts';

/** Runs `fn` in `ms`; returns the function that cancels it. */
export type Schedule = (fn: () => void, ms: number) => () => void;

export interface LiveValuesOptions {
  /** Sends one message (QoS 0: a lost one is superseded by the next; see ingest.ts). */
  readonly publish: (payload: Buffer) => void;
  /** Longest wait of a reading before it leaves (default 200 ms). */
  readonly intervalMs?: number;
  readonly maxBytes?: number;
  /** Readings waiting past which they leave at once, whatever the interval (memory stays bounded). */
  readonly maxPendingSamples?: number;
  readonly now?: () => number;
  readonly schedule?: Schedule;
}

export const LIVE_INTERVAL_MS = 200;
const MAX_PENDING_SAMPLES = 20_000;

const realSchedule: Schedule = (fn, ms) => {
  const timer = setTimeout(fn, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export class LiveValuesCoalescer {
  readonly #publish: (payload: Buffer) => void;
  readonly #intervalMs: number;
  readonly #maxBytes: number;
  readonly #maxPending: number;
  readonly #now: () => number;
  readonly #schedule: Schedule;
  /** Per patient and device, in the order they first came in this tick. */
  #pending = new Map<string, LiveDeviceValues & { samples: VitalSample[]; json: Uint8Array[] | undefined }>();
  #pendingSamples = 0;
  #lastFlush = -Infinity;
  #cancel: (() => void) | undefined;
  #closed = false;

  constructor(options: LiveValuesOptions) {
    this.#publish = options.publish;
    this.#intervalMs = options.intervalMs ?? LIVE_INTERVAL_MS;
    this.#maxBytes = options.maxBytes ?? LIVE_VALUES_MAX_BYTES;
    this.#maxPending = options.maxPendingSamples ?? MAX_PENDING_SAMPLES;
    this.#now = options.now ?? Date.now;
    this.#schedule = options.schedule ?? realSchedule;
    if (!(this.#intervalMs >= 0)) throw new TypeError(`intervalMs must not be negative, not ${this.#intervalMs}`);
  }

  /**
   * Readings of `deviceId` (worn by `patientId`) the ingest has just stored, received at `receivedAt`;
   * `json`: the same readings as the JSON text they came in (devices/protocol.ts
   * `acceptedSamplesJson`), sent as it is rather than serialised again.
   */
  add(
    patientId: string,
    deviceId: string,
    samples: readonly VitalSample[],
    receivedAt: number,
    json?: Uint8Array,
  ): void {
    if (this.#closed || samples.length === 0) return;
    const key = `${patientId}/${deviceId}`;
    const entry = this.#pending.get(key);
    if (entry) {
      entry.samples.push(...samples);
      entry.receivedAt = Math.max(entry.receivedAt, receivedAt);
      // Text for every reading of the entry, or for none.
      if (entry.json && json) entry.json.push(json);
      else entry.json = undefined;
    } else {
      this.#pending.set(key, {
        deviceId,
        patientId,
        receivedAt,
        samples: [...samples],
        json: json ? [json] : undefined,
      });
    }
    this.#pendingSamples += samples.length;
    if (this.#pendingSamples >= this.#maxPending) return this.flush();
    if (this.#cancel) return;
    const wait = this.#lastFlush + this.#intervalMs - this.#now();
    if (wait <= 0) return this.flush();
    this.#cancel = this.#schedule(() => {
      this.#cancel = undefined;
      this.flush();
    }, wait);
  }

  /** Sends what waits now. */
  flush(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    if (this.#pending.size === 0) return;
    const entries = this.#pending.values();
    this.#pending = new Map();
    this.#pendingSamples = 0;
    this.#lastFlush = this.#now();
    for (const payload of encodeLiveValues(entries, this.#maxBytes)) this.#publish(payload);
  }

  /** Sends what waits and takes nothing more. */
  close(): void {
    this.flush();
    this.#closed = true;
  }
}
