import { describe, expect, it } from 'vitest';
import { lateGroups } from './writer.ts';
import { downsampleQueries } from './schema.ts';

const HOUR = 3_600_000;
const range = (device: string, fromMs: number, toMs = fromMs + 59_999) => ({ device, fromMs, toMs });

describe('lateGroups: late ranges by groups of one query each', () => {
  it('puts up to `size` devices in a group, in order of their start, from the earliest start to the latest end', () => {
    const groups = lateGroups(
      [range('d3', 120_000), range('d1', 0), range('d4', 180_000, 400_000), range('d2', 60_000), range('d5', 240_000)],
      2,
    );
    expect(groups.map((g) => ({ devices: g.done.map((r) => r.device), fromMs: g.fromMs, toMs: g.toMs }))).toEqual([
      { devices: ['d1', 'd2'], fromMs: 0, toMs: 119_999 },
      { devices: ['d3', 'd4'], fromMs: 120_000, toMs: 400_000 },
      { devices: ['d5'], fromMs: 240_000, toMs: 299_999 },
    ]);
  });

  it('starts a new group where the ranges would span more than 3 hours; a longer range goes alone', () => {
    const groups = lateGroups(
      [
        range('d1', 0),
        range('d2', 2 * HOUR),
        range('d3', 3 * HOUR),
        range('d4', 4 * HOUR, 9 * HOUR),
        range('d5', 9 * HOUR),
      ],
      500,
    );
    expect(groups.map((g) => g.done.map((r) => r.device))).toEqual([['d1', 'd2'], ['d3'], ['d4'], ['d5']]);
  });

  it("makes one group of a fleet's open minutes, by 500, and nothing of no ranges", () => {
    const fleet = Array.from({ length: 1_234 }, (_, i) => range(`w-${i}`, 0, 90_000));
    expect(lateGroups(fleet, 500).map((g) => g.done.length)).toEqual([500, 500, 234]);
    expect(lateGroups([], 500)).toEqual([]);
  });
});

describe('downsampleQueries', () => {
  it('names the devices of a group, one of them, or none (every device)', () => {
    const [minute] = downsampleQueries(['w-1', "w'2"], 0, 59_999);
    expect(minute).toContain(`WHERE ("device" = 'w-1' OR "device" = 'w2') AND time >= 0ms AND time < 60000ms`);
    expect(downsampleQueries(['w-1'], 0, 59_999)[0]).toContain(`WHERE ("device" = 'w-1') AND time`);
    expect(downsampleQueries(null, 0, 59_999)[0]).toContain('WHERE time >= 0ms');
    expect(downsampleQueries([], 0, 59_999)).toEqual([]);
  });
});
