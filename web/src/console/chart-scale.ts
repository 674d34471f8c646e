/**
 * What a chart's y-axis spans. An axis that fits itself to the data makes 74–76 /min look like a
 * storm; a clinician reads a curve against the range they know, so each vital has a clinical range,
 * widened only when a reading or a threshold lies outside it (then every threshold stays in view).
 */

/**
 * Ranges a clinician reads these vitals against in adults: wide enough that every default threshold
 * (ingest/rules/thresholds.ts) is inside, not on the frame. Weight has none: it is read around the
 * patient's own weight.
 */
export const CLINICAL_RANGES = {
  hr: [30, 150],
  spo2: [80, 100],
  temp: [35, 40],
  bp: [40, 200],
  rr: [5, 35],
  glucose: [2, 24],
} as const satisfies Record<string, readonly [number, number]>;
export type ChartVital = keyof typeof CLINICAL_RANGES | 'weight';

/** Around a weight: ± this many kg, so that a 1 kg change shows without looking like a fall. */
const WEIGHT_SPAN_KG = 5;
/** With no weight at all, an axis that holds most adults. */
const WEIGHT_DEFAULT: readonly [number, number] = [40, 100];

/** The y range: the clinical one, widened (with a margin) to every value and every threshold. */
export function yRange(
  vital: ChartVital,
  values: ReadonlyArray<number | null>,
  thresholds: readonly number[],
): [number, number] {
  const seen = [...values.filter((v) => v !== null), ...thresholds];
  if (vital === 'weight') {
    if (seen.length === 0) return [...WEIGHT_DEFAULT];
    return [Math.floor(Math.min(...seen) - WEIGHT_SPAN_KG), Math.ceil(Math.max(...seen) + WEIGHT_SPAN_KG)];
  }
  const [lo, hi] = CLINICAL_RANGES[vital];
  const margin = (hi - lo) * 0.05;
  const below = Math.min(...seen);
  const above = Math.max(...seen);
  return [below < lo ? Math.floor(below - margin) : lo, above > hi ? Math.ceil(above + margin) : hi];
}

/** The indexes of values with no value on either side: a line cannot show them, a point can. */
export function lonePoints(values: ReadonlyArray<number | null>): number[] {
  const lone: number[] = [];
  values.forEach((v, i) => {
    if (v !== null && (values[i - 1] ?? null) === null && (values[i + 1] ?? null) === null) lone.push(i);
  });
  return lone;
}
