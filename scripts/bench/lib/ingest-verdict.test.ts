import { describe, expect, it } from 'vitest';
import { percentile } from './alert-stages.ts';
import { ingestShortfalls, rawRange, type IngestShare } from './ingest-verdict.ts';

const run = (ingest: number[], raw: number[]): IngestShare => {
  const pointsPerSec = percentile(ingest, 50)!;
  const rawPointsPerSec = percentile(raw, 50)!;
  return {
    pointsPerSec,
    rawPointsPerSec,
    shareOfRaw: Math.round((pointsPerSec / rawPointsPerSec) * 100) / 100,
    runs: [
      ...ingest.map((p) => ({ config: 'ingest' as const, pointsPerSec: p })),
      ...raw.map((p) => ({ config: 'raw' as const, pointsPerSec: p })),
    ],
  };
};

describe('ingestShortfalls', () => {
  it('passes a share over the target against a steady raw', () => {
    expect(ingestShortfalls(run([100_000, 104_000, 98_000], [120_000, 118_000, 125_000]), 0.8)).toEqual([]);
  });

  it('names a share under the target', () => {
    const [s, ...rest] = ingestShortfalls(run([73_909, 65_628, 75_438], [119_677, 73_752, 124_788]), 0.8);
    expect(rest).toEqual([]);
    expect(s).toBe('ingest: 73909 points/s = 62 % of raw writes (119677/s), target ≥ 80 %');
  });

  it('gives the least device path beside a share under the target', () => {
    const [s] = ingestShortfalls(run([78_424, 82_787, 78_012], [173_514, 82_428, 147_997]), 0.8, 0.79);
    expect(s).toBe(
      'ingest: 78424 points/s = 53 % of raw writes (147997/s), target ≥ 80 %; the least device path (no authentication, alert rules or roll-up) carried 79 % of raw in the same run',
    );
  });

  it('does not count a share over the target when raw collapsed in most rounds (the run of 1 December)', () => {
    const ingest = run([65_030, 70_642, 65_262], [40_358, 153_509, 53_266]);
    expect(ingest.shareOfRaw).toBe(1.23);
    const [s, ...rest] = ingestShortfalls(ingest, 0.8);
    expect(rest).toEqual([]);
    expect(s).toContain("raw's median round (53266/s) is under half its best (153509/s)");
  });

  it('keeps a share over the target when only one round of raw collapsed (the median holds)', () => {
    expect(ingestShortfalls(run([100_000, 101_000, 99_000], [40_000, 120_000, 118_000]), 0.8)).toEqual([]);
  });
});

describe('rawRange', () => {
  it("gives raw's slowest and fastest rounds, not the ingest's", () => {
    expect(rawRange(run([1, 1_000_000, 3], [40_358, 153_509, 53_266]))).toEqual({ min: 40_358, max: 153_509 });
  });
});
