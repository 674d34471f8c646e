/**
 * NEWS2 on continuous home readings. The RCP chart scores one set of observations taken by a nurse;
 * a watch sends a noisy pulse and SpO2 every few seconds, and scoring the latest of them makes the
 * score jump between bands on every reading. So each parameter's value is taken from a short window:
 * the median of its readings of the last 5 minutes when there are at least 3 of them (one outlier
 * cannot be a median of 3 or more), else its latest reading of the last 10 minutes, as a spot
 * observation (a blood-pressure cuff, a thermometer). The chart itself (news2.ts) is unchanged: only
 * the value it scores is chosen here. Shared by the alert rule (ingest) and the console (web).
 */
import { news2, type News2Result } from './news2.ts';

/** The readings NEWS2 scores (a glucose reading does not move it). */
export const NEWS2_VITALS = ['rr', 'spo2', 'sys', 'hr', 'temp'] as const;
export type News2Vital = (typeof NEWS2_VITALS)[number];

export interface News2WindowRule {
  /** The readings of this span before the moment scored make the median. */
  readonly spanMs: number;
  /** Fewer readings than this in the span: the parameter is a spot observation (its latest reading). */
  readonly minReadings: number;
  /** A spot observation older than this is not scored. */
  readonly freshMs: number;
}

export const NEWS2_WINDOW: News2WindowRule = { spanMs: 5 * 60_000, minReadings: 3, freshMs: 10 * 60_000 };

/** Readings kept per parameter (5 minutes at 2 a second): a faster device's oldest ones go first. */
export const MAX_WINDOW_READINGS = 600;

/** What was scored for one parameter, and how it was chosen. */
export type Scored = { readonly value: number; readonly readings: number; readonly method: 'median' | 'spot' };
export type News2Observation = { readonly [K in News2Vital]?: Scored };

export type News2Sample = { readonly ts: number } & { readonly [K in News2Vital]?: number | undefined };

/**
 * Room for readings a series starts with: enough for a parameter measured now and then (a
 * thermometer every 30 s, a cuff). One that a watch reads every second grows once, to the span's
 * readings at 1 Hz (`spanRoom`), and a faster device's once more, to MAX_WINDOW_READINGS. A node's
 * watches start together, so their series all grow in the same seconds: doubling from 32 to 512, it
 * happened four times in the first five minutes, the last one costing 3 s of CPU in one second for
 * 19,375 watches, and each time the alarms waited for the cores (`scripts/bench/patient-state.ts`).
 */
const FIRST_ROOM = 16;

/** The readings of a span at 1 Hz, with room for a clock running a little fast. */
function spanRoom(spanMs: number): number {
  return Math.min(MAX_WINDOW_READINGS, Math.ceil((spanMs / 1000) * 1.05) + 1);
}

/**
 * One parameter's readings of the span, in time order, with their values also kept sorted so that
 * the median is read, not computed, on every reading (a watch sends one a second for thousands of
 * patients). The span's start only moves forward. Held as numbers in typed arrays (a ring for the
 * readings), not in lists: a node keeps this for every patient, in the ingest and the web service,
 * and the garbage collector then has nothing to trace, move or reallocate as readings come and go.
 */
class Series {
  #ts = new Float64Array(FIRST_ROOM);
  #values = new Float64Array(FIRST_ROOM);
  /** Ring position of the oldest reading of the span, and how many there are. */
  #head = 0;
  #count = 0;
  /** The same values, ascending, in the first `count` places. */
  #sorted = new Float64Array(FIRST_ROOM);
  /**
   * The newest reading (-Infinity: none), kept as a spot observation once the span has passed it: two
   * numbers rather than an object per reading, which would outlive the young generation.
   */
  latestTs = -Infinity;
  latestValue = NaN;
  #from = -Infinity;

  get count(): number {
    return this.#count;
  }

  add(ts: number, value: number, spanMs: number): boolean {
    if (this.latestTs > ts) return false;
    if (this.latestTs === ts && this.#count > 0 && this.#ts[this.#slot(this.#count - 1)] === ts) {
      this.#count -= 1;
      this.#unsort(this.#values[this.#slot(this.#count)]!);
    }
    this.latestTs = ts;
    this.latestValue = value;
    if (ts >= this.#from) {
      if (this.#count === this.#ts.length) {
        // Full: the oldest goes first, if the series may not grow (the newest always stays).
        if (this.#count >= MAX_WINDOW_READINGS) this.#dropOldest();
        else this.#grow(spanMs);
      }
      const slot = this.#slot(this.#count);
      this.#ts[slot] = ts;
      this.#values[slot] = value;
      this.#count += 1;
      const at = lowerBound(this.#sorted, this.#count - 1, value);
      this.#sorted.copyWithin(at + 1, at, this.#count - 1);
      this.#sorted[at] = value;
    }
    this.startAt(ts - spanMs);
    return true;
  }

  /** Forgets the readings before `from` (never moves back). */
  startAt(from: number): void {
    if (from <= this.#from) return;
    this.#from = from;
    while (this.#count > 0 && this.#ts[this.#head]! < from) this.#dropOldest();
  }

  /** The middle value; with an even count, the mean of the two middle ones. */
  median(): number {
    const n = this.#count;
    const mid = n >> 1;
    return n % 2 ? this.#sorted[mid]! : (this.#sorted[mid - 1]! + this.#sorted[mid]!) / 2;
  }

  /** Ring position of the i-th reading (0: the oldest). */
  #slot(i: number): number {
    return (this.#head + i) % this.#ts.length;
  }

  #dropOldest(): void {
    this.#unsort(this.#values[this.#head]!);
    this.#head = (this.#head + 1) % this.#ts.length;
    this.#count -= 1;
  }

  /** Takes one reading's value out of the sorted values (the count has already gone down by one). */
  #unsort(value: number): void {
    const at = lowerBound(this.#sorted, this.#count + 1, value);
    this.#sorted.copyWithin(at, at + 1, this.#count + 1);
  }

  /** Room for the span's readings at 1 Hz, or, past that, for the most kept. */
  #grow(spanMs: number): void {
    const next = spanRoom(spanMs);
    const room = this.#ts.length < next ? next : MAX_WINDOW_READINGS;
    const ts = new Float64Array(room);
    const values = new Float64Array(room);
    for (let i = 0; i < this.#count; i += 1) {
      const slot = this.#slot(i);
      ts[i] = this.#ts[slot]!;
      values[i] = this.#values[slot]!;
    }
    const sorted = new Float64Array(room);
    sorted.set(this.#sorted.subarray(0, this.#count));
    this.#ts = ts;
    this.#values = values;
    this.#sorted = sorted;
    this.#head = 0;
  }
}

/** Where `value` goes among the first `n` of an ascending array (the first index whose value is not below it). */
function lowerBound(sorted: Float64Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A patient's recent NEWS2 readings. Time only goes forward: observing at a moment earlier than a
 * previous one scores the later one's span.
 */
export class News2Window {
  readonly rule: News2WindowRule;
  readonly #series = new Map<News2Vital, Series>();

  constructor(rule: News2WindowRule = NEWS2_WINDOW) {
    this.rule = rule;
  }

  /**
   * Takes a sample's NEWS2 readings. A reading older than the newest of its parameter is left out
   * (the score follows the present); one at the same time replaces it (a redelivery counts once).
   * True when any reading was taken.
   */
  add(sample: News2Sample): boolean {
    let taken = false;
    for (const vital of NEWS2_VITALS) {
      const value = sample[vital];
      if (value === undefined) continue;
      let series = this.#series.get(vital);
      if (!series) this.#series.set(vital, (series = new Series()));
      if (series.add(sample.ts, value, this.rule.spanMs)) taken = true;
    }
    return taken;
  }

  /** When the newest reading was taken (-Infinity: none yet). */
  newest(): number {
    let newest = -Infinity;
    for (const s of this.#series.values()) newest = Math.max(newest, s.latestTs);
    return newest;
  }

  /** The value each parameter is scored on at `at`. */
  observe(at: number): News2Observation {
    const out: { [K in News2Vital]?: Scored } = {};
    for (const [vital, series] of this.#series) {
      series.startAt(at - this.rule.spanMs);
      if (series.count >= this.rule.minReadings)
        out[vital] = { value: series.median(), readings: series.count, method: 'median' };
      else if (at - series.latestTs <= this.rule.freshMs)
        out[vital] = { value: series.latestValue, readings: 1, method: 'spot' };
    }
    return out;
  }
}

export interface News2Scoring {
  readonly spo2Scale: 1 | 2;
  readonly onOxygen: boolean;
}

/** NEWS2 at `at` from the window, with what it scored; undefined when no parameter is there. */
export function windowedNews2(
  window: News2Window,
  at: number,
  scoring: News2Scoring,
): { readonly result: News2Result; readonly scored: News2Observation } | undefined {
  const scored = window.observe(at);
  if (Object.keys(scored).length === 0) return undefined;
  const result = news2(
    {
      rr: scored.rr?.value,
      spo2: scored.spo2?.value,
      sys: scored.sys?.value,
      hr: scored.hr?.value,
      temp: scored.temp?.value,
      onOxygen: scoring.onOxygen,
    },
    { spo2Scale: scoring.spo2Scale },
  );
  return { result, scored };
}
