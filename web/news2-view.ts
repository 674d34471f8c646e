/**
 * The NEWS2 the console shows: the alert rule's own scoring on the same short window of readings
 * (ingest/rules/news2-window.ts), kept by the server as readings arrive (web/live.ts) for the list,
 * and by the page from the readings it receives, so that the list's order follows the patients' state
 * and not every noisy reading.
 */
import { News2Window, windowedNews2, type News2Sample, type News2Scoring } from '../ingest/rules/news2-window.ts';
import type { News2View } from './api/schemas.ts';

/** Each vital's latest reading, as the list gives it. */
type Latest = Partial<Record<'hr' | 'spo2' | 'temp' | 'sys' | 'rr', { value: number; ts: number }>>;

/** NEWS2 at `now`; null when no parameter is recent enough to score. */
export function news2Of(window: News2Window, scoring: News2Scoring, now: number): News2View | null {
  const r = windowedNews2(window, now, scoring)?.result;
  return r ? { score: r.score, risk: r.risk, partial: r.partial, missing: [...r.missing] } : null;
}

/**
 * Adds readings in any order (a backfill arrives after newer readings), oldest first, then each
 * vital's latest reading (which a window of recent samples may have lost).
 */
export function addReadings(window: News2Window, samples: readonly News2Sample[], latest: Latest = {}): News2Window {
  const latestSamples = Object.entries(latest).map(([k, v]) => ({ ts: v.ts, [k]: v.value }));
  for (const s of [...samples, ...latestSamples].sort((a, b) => a.ts - b.ts)) window.add(s);
  return window;
}
