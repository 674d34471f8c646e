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
 * One parameter's readings of the span, in time order, with their values also kept sorted so that
 * the median is read, not computed, on every reading (a watch sends one a second for thousands of
 * patients). The span's start only moves forward.
 */
class Series {
  readonly #ts: number[] = [];
  readonly #values: number[] = [];
  #head = 0;
  readonly #sorted: number[] = [];
  /** The newest reading, kept as a spot observation once the span has passed it. */
  latest: { readonly ts: number; readonly value: number } | undefined;
  #from = -Infinity;

  get count(): number {
    return this.#ts.length - this.#head;
  }

  add(ts: number, value: number, spanMs: number): boolean {
    if (this.latest && this.latest.ts > ts) return false;
    if (this.latest?.ts === ts && this.count > 0 && this.#ts.at(-1) === ts) {
      this.#ts.pop();
      removeSorted(this.#sorted, this.#values.pop()!);
    }
    this.latest = { ts, value };
    if (ts >= this.#from) {
      this.#ts.push(ts);
      this.#values.push(value);
      insertSorted(this.#sorted, value);
    }
    this.startAt(ts - spanMs);
    while (this.count > MAX_WINDOW_READINGS) this.#dropOldest();
    return true;
  }

  /** Forgets the readings before `from` (never moves back). */
  startAt(from: number): void {
    if (from <= this.#from) return;
    this.#from = from;
    while (this.count > 0 && this.#ts[this.#head]! < from) this.#dropOldest();
  }

  /** The middle value; with an even count, the mean of the two middle ones. */
  median(): number {
    const n = this.#sorted.length;
    const mid = n >> 1;
    return n % 2 ? this.#sorted[mid]! : (this.#sorted[mid - 1]! + this.#sorted[mid]!) / 2;
  }

  #dropOldest(): void {
    removeSorted(this.#sorted, this.#values[this.#head]!);
    this.#head += 1;
    if (this.#head > 1024 && this.#head * 2 > this.#ts.length) {
      this.#ts.splice(0, this.#head);
      this.#values.splice(0, this.#head);
      this.#head = 0;
    }
  }
}

/** Where `value` goes in an ascending list (the first index whose value is not below it). */
function lowerBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: number[], value: number): void {
  sorted.splice(lowerBound(sorted, value), 0, value);
}

function removeSorted(sorted: number[], value: number): void {
  sorted.splice(lowerBound(sorted, value), 1);
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
    for (const s of this.#series.values()) newest = Math.max(newest, s.latest?.ts ?? -Infinity);
    return newest;
  }

  /** The value each parameter is scored on at `at`. */
  observe(at: number): News2Observation {
    const out: { [K in News2Vital]?: Scored } = {};
    for (const [vital, series] of this.#series) {
      series.startAt(at - this.rule.spanMs);
      const latest = series.latest;
      if (series.count >= this.rule.minReadings)
        out[vital] = { value: series.median(), readings: series.count, method: 'median' };
      else if (latest && at - latest.ts <= this.rule.freshMs)
        out[vital] = { value: latest.value, readings: 1, method: 'spot' };
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
