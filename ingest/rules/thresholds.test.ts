/** Threshold rules at their boundaries: limits, durations, counts, gaps, hysteresis, overrides. */
import { describe, expect, it } from 'vitest';
import {
  NORMAL,
  MAX_GAP_MS,
  stepThreshold,
  thresholdsFor,
  type ThresholdChange,
  type ThresholdRule,
  type ThresholdState,
} from './thresholds.ts';

const rule = (id: string, rules = thresholdsFor()): ThresholdRule => rules.find((r) => r.id === id)!;

/** Feeds [seconds, value] readings; returns the changes with the second they happened. */
function run(
  r: ThresholdRule,
  readings: readonly (readonly [number, number])[],
): Array<[number, ThresholdChange['type'], number]> {
  let state: ThresholdState = NORMAL;
  const out: Array<[number, ThresholdChange['type'], number]> = [];
  for (const [sec, value] of readings) {
    const step = stepThreshold(r, state, value, 1_000_000 + sec * 1000);
    state = step.state;
    if (step.change) out.push([sec, step.change.type, step.change.value]);
  }
  return out;
}
const every = (fromSec: number, toSec: number, value: number, stepSec = 1) =>
  Array.from(
    { length: Math.floor((toSec - fromSec) / stepSec) + 1 },
    (_, i) => [fromSec + i * stepSec, value] as const,
  );

describe('a duration rule: SpO2 below 88 % for 60 s (high)', () => {
  const r = rule('spo2-very-low');

  it('is not raised at the limit itself, only below it', () => {
    expect(run(r, every(0, 120, 88))).toEqual([]);
    expect(run(r, every(0, 120, 87.9))).toEqual([[60, 'raise', 87.9]]);
  });

  it('is raised exactly when the condition has lasted 60 s, not a reading earlier', () => {
    expect(run(r, every(0, 59, 85))).toEqual([]);
    expect(run(r, every(0, 60, 85))).toEqual([[60, 'raise', 85]]);
  });

  it('starts again when one reading in between is back above the limit', () => {
    expect(run(r, [...every(0, 50, 85), [51, 90], ...every(52, 111, 85)])).toEqual([]);
    expect(run(r, [...every(0, 50, 85), [51, 90], ...every(52, 112, 85)])).toEqual([[112, 'raise', 85]]);
  });

  it('does not join readings separated by a long gap into one duration', () => {
    const gapSec = MAX_GAP_MS / 1000 + 1;
    expect(
      run(r, [
        [0, 85],
        [gapSec, 85],
        [gapSec + 59, 85],
      ]),
    ).toEqual([]);
    expect(
      run(r, [
        [0, 85],
        [gapSec, 85],
        [gapSec + 60, 85],
      ]),
    ).toEqual([[gapSec + 60, 'raise', 85]]);
  });

  it('reports a worse value once raised, and clears only past the hysteresis band (no flapping)', () => {
    const hovering = Array.from({ length: 60 }, (_, i) => [61 + i, i % 2 ? 87.5 : 89.9] as const); // 88 ± 2 never reaches 90
    expect(
      run(r, [...every(0, 60, 86), [61, 84], ...hovering.map(([s, v]) => [s + 1, v] as const), [200, 90]]),
    ).toEqual([
      [60, 'raise', 86],
      [61, 'worse', 84],
      [200, 'clear', 90],
    ]);
  });

  it('ignores readings older than the last one (a backfill does not rewind it)', () => {
    expect(run(r, [...every(0, 60, 85), [30, 99]])).toEqual([[60, 'raise', 85]]);
  });
});

describe('a count rule: temperature above 38.0 °C, 3 readings in a row (medium)', () => {
  const r = rule('temp-high');
  it.each([
    [[38.0, 38.0, 38.0], []],
    [[38.1, 38.1], []],
    [[38.1, 38.1, 38.1], [[2, 'raise', 38.1]]],
    [[38.1, 37.9, 38.1, 38.1], []],
    [
      [38.1, 38.5, 38.2, 38.4, 37.8, 37.7],
      [
        [2, 'raise', 38.2],
        [3, 'worse', 38.4],
        [5, 'clear', 37.7],
      ],
    ],
    [
      [38.1, 38.1, 38.1, 37.8, 37.7],
      [
        [2, 'raise', 38.1],
        [4, 'clear', 37.7],
      ],
    ],
  ] as const)('%j -> %j', (values, expected) => {
    // One reading every 10 minutes: a count rule does not care how far apart they are.
    expect(
      run(
        r,
        values.map((v, i) => [i * 600, v] as const),
      ).map(([sec, type, value]) => [sec / 600, type, value]),
    ).toEqual(expected);
  });
});

describe('per-patient thresholds', () => {
  it("merge a clinician's changes over the defaults", () => {
    const rules = thresholdsFor({ 'spo2-low': { limit: 90, sustain: { readings: 2 } }, 'hr-high': { enabled: false } });
    expect(rule('spo2-low', rules)).toMatchObject({
      limit: 90,
      sustain: { readings: 2 },
      hysteresis: 2,
      priority: 'medium',
    });
    expect(
      run(rule('spo2-low', rules), [
        [0, 89],
        [1, 89],
      ]),
    ).toEqual([[1, 'raise', 89]]);
    expect(run(rule('hr-high', rules), every(0, 600, 170))).toEqual([]);
  });
  it('refuse a rule that does not exist', () => {
    expect(() => thresholdsFor({ 'spo2-lowest': { limit: 80 } })).toThrow('unknown threshold rule "spo2-lowest"');
  });
});
