import { describe, expect, it } from 'vitest';
import { CLINICAL_RANGES, lonePoints, yRange, type ChartVital } from './chart-scale.ts';
import { DEFAULT_THRESHOLDS } from '../../../ingest/rules/thresholds.ts';

describe('chart y range', () => {
  it.each<[string, ChartVital, Array<number | null>, number[], [number, number]]>([
    ['pulse noise stays on the clinical range', 'hr', [74, 75, 76, null], [120, 40], [30, 150]],
    ['no data: the clinical range', 'spo2', [], [], [80, 100]],
    ['a pulse above it widens the top, with a margin', 'hr', [160], [], [30, 166]],
    ['a SpO2 below it widens the bottom', 'spo2', [72, 95], [], [71, 100]],
    ['a threshold outside it widens it too', 'temp', [36.8], [41], [35, 42]],
    ['a fever inside it changes nothing', 'temp', [39.5], [38, 39], [35, 40]],
    ['blood pressure', 'bp', [250, 80], [180, 90], [40, 258]],
    ['glucose', 'glucose', [5.4, 30], [3.9, 22.2], [2, 32]],
    ['weight: around the patient', 'weight', [71.2, 72.8], [], [66, 78]],
    ['weight: no reading', 'weight', [null], [], [40, 100]],
  ])('%s', (_, vital, values, thresholds, range) => {
    expect(yRange(vital, values, thresholds)).toEqual(range);
  });

  it('holds every default threshold inside the clinical range, off the frame', () => {
    const vitalOf = (v: string) => (v === 'sys' || v === 'dia' ? 'bp' : v) as keyof typeof CLINICAL_RANGES;
    for (const th of DEFAULT_THRESHOLDS) {
      const [lo, hi] = CLINICAL_RANGES[vitalOf(th.vital)];
      expect(th.limit, th.id).toBeGreaterThan(lo);
      expect(th.limit, th.id).toBeLessThan(hi);
    }
  });
});

describe('lone points', () => {
  it.each<[Array<number | null>, number[]]>([
    [[], []],
    [[1], [0]],
    [[1, 2], []],
    [
      [null, 37, null, null, 38.2],
      [1, 4],
    ],
    [
      [36, null, 37, 37.1, null, 38],
      [0, 5],
    ],
  ])('%j', (values, lone) => {
    expect(lonePoints(values)).toEqual(lone);
  });
});
