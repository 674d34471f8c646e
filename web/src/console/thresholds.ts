/**
 * Which of a patient's thresholds a reading is beyond, for the list and the vitals panel to mark it
 * (the alert engine decides alerts, with its durations and hysteresis; this only says "past the line").
 */
import type { ConsoleRow, ThresholdLimit } from '../../api/schemas.ts';

const RANK = { high: 3, medium: 2, low: 1 } as const;

/** Most severe first: highest priority, then the limit furthest out. */
function severity(a: ThresholdLimit, b: ThresholdLimit): number {
  return RANK[b.priority] - RANK[a.priority] || (a.direction === 'below' ? a.limit - b.limit : b.limit - a.limit);
}

/** The most severe threshold the value is past, if any. */
export function beyond(
  value: number | undefined,
  vital: string,
  thresholds: readonly ThresholdLimit[],
): ThresholdLimit | undefined {
  if (value === undefined) return undefined;
  return thresholds
    .filter((th) => th.vital === vital && (th.direction === 'below' ? value < th.limit : value > th.limit))
    .sort(severity)[0];
}

/** A blood pressure: the more severe of what the systolic and the diastolic are past. */
export function beyondBloodPressure(
  sys: number | undefined,
  dia: number | undefined,
  thresholds: readonly ThresholdLimit[],
): ThresholdLimit | undefined {
  const past = [beyond(sys, 'sys', thresholds), beyond(dia, 'dia', thresholds)];
  return past.filter((th) => th !== undefined).sort(severity)[0];
}

/** A row's latest reading of a vital, against the row's thresholds. */
export function latestBeyond(
  row: Pick<ConsoleRow, 'latest' | 'thresholds'>,
  vital: 'hr' | 'spo2' | 'temp' | 'glucose',
): ThresholdLimit | undefined {
  return beyond(row.latest[vital]?.value, vital, row.thresholds);
}
