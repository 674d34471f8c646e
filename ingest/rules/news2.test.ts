/** NEWS2 at every band edge of the RCP 2017 chart, both SpO2 scales, partial scores and risk bands. */
import { describe, expect, it } from 'vitest';
import { news2, type News2Input } from './news2.ts';

const points = (input: News2Input, scale: 1 | 2 = 1) => news2(input, { spo2Scale: scale }).points;

describe('NEWS2 bands', () => {
  it.each([
    [8, 3],
    [9, 1],
    [11, 1],
    [12, 0],
    [20, 0],
    [21, 2],
    [24, 2],
    [25, 3],
    [4, 3],
    [60, 3],
    [8.4, 3],
    [8.5, 1],
    [11.49, 1],
    [11.5, 0],
    [20.5, 2],
    [24.5, 3],
  ])('respiration %s/min scores %i', (rr, expected) => {
    expect(points({ rr }).respiration).toBe(expected);
  });

  it.each([
    [91, 3],
    [92, 2],
    [93, 2],
    [94, 1],
    [95, 1],
    [96, 0],
    [100, 0],
    [50, 3],
    [91.5, 2],
    [95.5, 0],
  ])('SpO2 scale 1: %s %% scores %i', (spo2, expected) => {
    expect(points({ spo2 }).spo2).toBe(expected);
    expect(points({ spo2, onOxygen: true }).spo2).toBe(expected); // scale 1 ignores oxygen for SpO2
  });

  it.each([
    [83, false, 3],
    [84, false, 2],
    [85, false, 2],
    [86, false, 1],
    [87, false, 1],
    [88, false, 0],
    [92, false, 0],
    [93, false, 0],
    [97, false, 0],
    [100, false, 0],
    [83, true, 3],
    [88, true, 0],
    [92, true, 0],
    [93, true, 1],
    [94, true, 1],
    [95, true, 2],
    [96, true, 2],
    [97, true, 3],
    [100, true, 3],
  ])('SpO2 scale 2: %s %% (on oxygen: %s) scores %i', (spo2, onOxygen, expected) => {
    expect(points({ spo2, onOxygen }, 2).spo2).toBe(expected);
  });

  it('SpO2 scale 2 above 92 % cannot be scored without knowing air or oxygen; at or below it can', () => {
    expect(news2({ spo2: 95 }, { spo2Scale: 2 }).missing).toEqual([
      'respiration',
      'spo2',
      'airOrOxygen',
      'systolic',
      'pulse',
      'consciousness',
      'temperature',
    ]);
    expect(points({ spo2: 86 }, 2).spo2).toBe(1);
  });

  it.each([
    [false, 0],
    [true, 2],
  ])('air or oxygen (oxygen: %s) scores %i', (onOxygen, expected) => {
    expect(points({ onOxygen }).airOrOxygen).toBe(expected);
  });

  it.each([
    [90, 3],
    [91, 2],
    [100, 2],
    [101, 1],
    [110, 1],
    [111, 0],
    [219, 0],
    [220, 3],
    [50, 3],
    [260, 3],
    [110.5, 0],
    [90.49, 3],
  ])('systolic %s mmHg scores %i', (sys, expected) => {
    expect(points({ sys }).systolic).toBe(expected);
  });

  it.each([
    [40, 3],
    [41, 1],
    [50, 1],
    [51, 0],
    [90, 0],
    [91, 1],
    [110, 1],
    [111, 2],
    [130, 2],
    [131, 3],
    [20, 3],
    [250, 3],
    [90.5, 1],
    [40.4, 3],
  ])('pulse %s/min scores %i', (hr, expected) => {
    expect(points({ hr }).pulse).toBe(expected);
  });

  it.each([
    ['A', 0],
    ['C', 3],
    ['V', 3],
    ['P', 3],
    ['U', 3],
  ] as const)('consciousness %s scores %i', (consciousness, expected) => {
    expect(points({ consciousness }).consciousness).toBe(expected);
  });

  it.each([
    [35.0, 3],
    [35.1, 1],
    [36.0, 1],
    [36.1, 0],
    [38.0, 0],
    [38.1, 1],
    [39.0, 1],
    [39.1, 2],
    [30, 3],
    [43, 2],
    [35.04, 3],
    [35.06, 1],
    [38.04, 0],
  ])('temperature %s °C scores %i', (temp, expected) => {
    expect(points({ temp }).temperature).toBe(expected);
  });
});

describe('NEWS2 score and risk', () => {
  const full = { rr: 16, spo2: 97, onOxygen: false, sys: 125, hr: 72, consciousness: 'A', temp: 36.8 } as const;

  it('is complete and 0 for a healthy adult', () => {
    expect(news2(full)).toMatchObject({ score: 0, missing: [], partial: false, risk: 'low' });
  });

  it.each([
    ['0-4 is low', { ...full, hr: 95, temp: 38.5, sys: 105, rr: 10 }, 4, 'low'],
    ['a single red 3 is low-medium', { ...full, hr: 135 }, 3, 'low-medium'],
    ['5 is medium', { ...full, hr: 120, rr: 22, temp: 38.5 }, 5, 'medium'],
    ['6 is medium', { ...full, hr: 120, rr: 22, temp: 39.5 }, 6, 'medium'],
    ['7 is high', { ...full, hr: 135, rr: 22, temp: 39.5 }, 7, 'high'],
  ] as const)('%s', (_name, input, score, risk) => {
    expect(news2(input)).toMatchObject({ score, risk });
  });

  it('is partial for a watch: names what it lacks, and scores what it has', () => {
    const r = news2({ hr: 112, spo2: 93, temp: 38.2, onOxygen: false });
    expect(r).toMatchObject({
      score: 2 + 2 + 1 + 0,
      partial: true,
      missing: ['respiration', 'systolic', 'consciousness'],
      risk: 'medium',
    });
  });
});
