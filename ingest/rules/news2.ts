/**
 * National Early Warning Score 2 (Royal College of Physicians, 2017), from the vitals available.
 * A watch measures neither consciousness nor, reliably, respiration, so the score is often *partial*:
 * it names the parameters it lacks, and its risk band is then a lower bound (a missing parameter can
 * only add points).
 *
 * Bands exactly as in the published chart. Integer-valued parameters (respiration, SpO2, pulse,
 * systolic pressure) are rounded half up before banding, since the chart has no values between
 * integers; temperature is banded at one decimal, as charted.
 */

export type News2Parameter =
  'respiration' | 'spo2' | 'airOrOxygen' | 'systolic' | 'pulse' | 'consciousness' | 'temperature';
export const NEWS2_PARAMETERS: readonly News2Parameter[] = [
  'respiration',
  'spo2',
  'airOrOxygen',
  'systolic',
  'pulse',
  'consciousness',
  'temperature',
];

/** ACVPU: Alert, or new Confusion, responds to Voice, to Pain, Unresponsive. */
export type Consciousness = 'A' | 'C' | 'V' | 'P' | 'U';

export interface News2Input {
  readonly rr?: number | undefined;
  readonly spo2?: number | undefined;
  /** On supplemental oxygen (a per-patient fact, recorded by the care team). */
  readonly onOxygen?: boolean | undefined;
  readonly sys?: number | undefined;
  readonly hr?: number | undefined;
  readonly consciousness?: Consciousness | undefined;
  readonly temp?: number | undefined;
}

export interface News2Options {
  /** SpO2 scale 2, for patients with hypercapnic respiratory failure (target 88-92 %), chosen by a clinician. */
  readonly spo2Scale: 1 | 2;
}

export type News2Risk = 'low' | 'low-medium' | 'medium' | 'high';

export interface News2Result {
  /** Sum of the parameters present. */
  readonly score: number;
  readonly points: Readonly<Partial<Record<News2Parameter, number>>>;
  readonly missing: readonly News2Parameter[];
  readonly partial: boolean;
  /** From the chart's thresholds: 0-4 low, a single 3 low-medium, 5-6 medium, 7+ high. With missing parameters, at least this. */
  readonly risk: News2Risk;
  readonly spo2Scale: 1 | 2;
}

/** [upper bound inclusive, points], in ascending order; the last entry's bound is Infinity. */
type Bands = readonly (readonly [number, number])[];

export const BANDS = {
  respiration: [
    [8, 3],
    [11, 1],
    [20, 0],
    [24, 2],
    [Infinity, 3],
  ],
  spo2Scale1: [
    [91, 3],
    [93, 2],
    [95, 1],
    [Infinity, 0],
  ],
  /** Scale 2 below 93 %, or on air at any value. */
  spo2Scale2: [
    [83, 3],
    [85, 2],
    [87, 1],
    [92, 0],
  ],
  /** Scale 2 at 93 % and above, on oxygen. */
  spo2Scale2OnOxygen: [
    [94, 1],
    [96, 2],
    [Infinity, 3],
  ],
  systolic: [
    [90, 3],
    [100, 2],
    [110, 1],
    [219, 0],
    [Infinity, 3],
  ],
  pulse: [
    [40, 3],
    [50, 1],
    [90, 0],
    [110, 1],
    [130, 2],
    [Infinity, 3],
  ],
  temperature: [
    [35.0, 3],
    [36.0, 1],
    [38.0, 0],
    [39.0, 1],
    [Infinity, 2],
  ],
} as const satisfies Record<string, Bands>;

function band(bands: Bands, value: number): number {
  for (const [upTo, points] of bands) if (value <= upTo) return points;
  throw new RangeError(`no band for ${value}`);
}

const roundHalfUp = (v: number) => Math.floor(v + 0.5);
const oneDecimal = (v: number) => Math.round(v * 10) / 10;

function spo2Points(spo2: number, onOxygen: boolean, scale: 1 | 2): number {
  const v = roundHalfUp(spo2);
  if (scale === 1) return band(BANDS.spo2Scale1, v);
  if (v <= 92) return band(BANDS.spo2Scale2, v);
  return onOxygen ? band(BANDS.spo2Scale2OnOxygen, v) : 0;
}

export function news2(input: News2Input, options: News2Options = { spo2Scale: 1 }): News2Result {
  const points: Partial<Record<News2Parameter, number>> = {};
  if (input.rr !== undefined) points.respiration = band(BANDS.respiration, roundHalfUp(input.rr));
  // Scale 2 above 92 % depends on air or oxygen; scale 1 does not.
  if (
    input.spo2 !== undefined &&
    (options.spo2Scale === 1 || input.onOxygen !== undefined || roundHalfUp(input.spo2) <= 92)
  ) {
    points.spo2 = spo2Points(input.spo2, input.onOxygen ?? false, options.spo2Scale);
  }
  if (input.onOxygen !== undefined) points.airOrOxygen = input.onOxygen ? 2 : 0;
  if (input.sys !== undefined) points.systolic = band(BANDS.systolic, roundHalfUp(input.sys));
  if (input.hr !== undefined) points.pulse = band(BANDS.pulse, roundHalfUp(input.hr));
  if (input.consciousness !== undefined) points.consciousness = input.consciousness === 'A' ? 0 : 3;
  if (input.temp !== undefined) points.temperature = band(BANDS.temperature, oneDecimal(input.temp));
  const missing = NEWS2_PARAMETERS.filter((p) => points[p] === undefined);
  const values = Object.values(points);
  const score = values.reduce((a, b) => a + b, 0);
  const risk: News2Risk = score >= 7 ? 'high' : score >= 5 ? 'medium' : values.includes(3) ? 'low-medium' : 'low';
  return { score, points, missing, partial: missing.length > 0, risk, spo2Scale: options.spo2Scale };
}
