/**
 * The accepting half of the vitals schemas (payloads.ts) without zod, for the hot path: every reading
 * of every watch goes through the broker, the ingest and the web service. zod cost the ingest 12 % of
 * its CPU for readings that are nearly all valid (npm run bench -- --parts ingest). These checks say
 * yes exactly when `vitalSampleSchema` / `vitalsBatchSchema` accept (a property test holds them
 * equal, vitals-check.test.ts), and then the parsed JSON is the schema's output as it is. A payload
 * they do not accept goes through zod, which gives the reason: a refusal is zod's, word for word.
 */
import { MAX_SAMPLES, VITAL_RANGES, type Range } from './limits.ts';
import type { VitalSample } from './payloads.ts';

const RANGES: ReadonlyMap<string, Range> = new Map(Object.entries(VITAL_RANGES));

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** True exactly when vitalSampleSchema accepts `value` (whose output is then `value` itself). */
export function isVitalSample(value: unknown): value is VitalSample {
  if (!isRecord(value)) return false;
  let keys = 0;
  let hasTs = false;
  let hasSeq = false;
  for (const key in value) {
    if (!Object.hasOwn(value, key)) return false;
    keys += 1;
    const v = value[key];
    if (typeof v !== 'number') return false;
    if (key === 'ts') {
      if (!Number.isSafeInteger(v) || v <= 0) return false;
      hasTs = true;
    } else if (key === 'seq') {
      if (!Number.isSafeInteger(v) || v < 0) return false;
      hasSeq = true;
    } else {
      const range = RANGES.get(key);
      if (!range || !(v >= range.min && v <= range.max)) return false;
      if (range.integer && !Number.isSafeInteger(v)) return false;
    }
  }
  if (!hasTs || !hasSeq || keys <= 2) return false;
  const { sys, dia } = value;
  return typeof sys !== 'number' || typeof dia !== 'number' || sys > dia;
}

/** True exactly when vitalsBatchSchema accepts `value` (whose output is then `value` itself). */
export function isVitalsBatch(value: unknown): value is { samples: VitalSample[] } {
  if (!isRecord(value)) return false;
  for (const key in value) if (key !== 'samples' || !Object.hasOwn(value, key)) return false;
  const { samples } = value;
  if (!Array.isArray(samples) || samples.length < 1 || samples.length > MAX_SAMPLES) return false;
  const list: unknown[] = samples;
  const seqs = new Set<number>();
  for (const s of list) {
    if (!isVitalSample(s) || seqs.has(s.seq)) return false;
    seqs.add(s.seq);
  }
  return true;
}
