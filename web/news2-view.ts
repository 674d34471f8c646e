/**
 * The NEWS2 the console shows, from a patient's latest readings (the same scoring as the alert
 * engine, ingest/rules/news2.ts): computed by the server for the list, and by the page as readings
 * arrive, so that the list's order follows the patients' state.
 */
import { news2 } from '../ingest/rules/news2.ts';
import type { News2View } from './api/schemas.ts';

/** Readings older than this do not count (the engine's window). */
export const NEWS2_WINDOW_MS = 10 * 60_000;

type Latest = Partial<Record<'hr' | 'spo2' | 'temp' | 'sys' | 'rr', { value: number; ts: number }>>;

export function news2Of(
  latest: Latest,
  options: { spo2Scale: 1 | 2; onOxygen: boolean },
  now: number,
): News2View | null {
  const fresh = (k: keyof Latest) => {
    const v = latest[k];
    return v && now - v.ts <= NEWS2_WINDOW_MS ? v.value : undefined;
  };
  const input = { hr: fresh('hr'), spo2: fresh('spo2'), temp: fresh('temp'), sys: fresh('sys'), rr: fresh('rr') };
  if (Object.values(input).every((v) => v === undefined)) return null;
  const r = news2({ ...input, onOxygen: options.onOxygen }, { spo2Scale: options.spo2Scale });
  return { score: r.score, risk: r.risk, partial: r.partial, missing: [...r.missing] };
}
