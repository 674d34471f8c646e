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

interface Reading {
  readonly ts: number;
  readonly value: number;
}

/** A patient's recent NEWS2 readings, oldest first per parameter. */
export class News2Window {
  readonly rule: News2WindowRule;
  readonly #series = new Map<News2Vital, Reading[]>();

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
      const series = this.#series.get(vital) ?? [];
      const last = series.at(-1);
      if (last && last.ts > sample.ts) continue;
      if (last?.ts === sample.ts) series.pop();
      series.push({ ts: sample.ts, value });
      const from = sample.ts - this.rule.spanMs;
      let drop = 0;
      while (series.length - drop > 1 && (series[drop]!.ts < from || series.length - drop > MAX_WINDOW_READINGS))
        drop += 1;
      if (drop > 0) series.splice(0, drop);
      this.#series.set(vital, series);
      taken = true;
    }
    return taken;
  }

  /** When the newest reading was taken (-Infinity: none yet). */
  newest(): number {
    return Math.max(...[...this.#series.values()].map((s) => s.at(-1)?.ts ?? -Infinity), -Infinity);
  }

  /** The value each parameter is scored on at `at`. */
  observe(at: number): News2Observation {
    const out: { [K in News2Vital]?: Scored } = {};
    for (const [vital, series] of this.#series) {
      const scored = observeSeries(series, at, this.rule);
      if (scored) out[vital] = scored;
    }
    return out;
  }
}

function observeSeries(series: readonly Reading[], at: number, rule: News2WindowRule): Scored | undefined {
  const inSpan = series.filter((r) => r.ts >= at - rule.spanMs).map((r) => r.value);
  if (inSpan.length >= rule.minReadings) return { value: median(inSpan), readings: inSpan.length, method: 'median' };
  const last = series.at(-1);
  if (!last || at - last.ts > rule.freshMs) return undefined;
  return { value: last.value, readings: 1, method: 'spot' };
}

/** The middle value; with an even count, the mean of the two middle ones. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('no median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
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
