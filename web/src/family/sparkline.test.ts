import { describe, expect, it } from 'vitest';
import { pulseSparkline } from './sparkline.ts';

describe('pulseSparkline', () => {
  it('needs two readings of the pulse', () => {
    expect(pulseSparkline([])).toBeUndefined();
    expect(pulseSparkline([{ ts: 0, hr: 70 }, { ts: 1 }])).toBeUndefined();
  });

  it('spans the box in time, 40 to 150 /min from bottom to top, and gives the range read', () => {
    expect(
      pulseSparkline([{ ts: 1000, hr: 62.4 }, { ts: 2000 }, { ts: 3000, hr: 95 }, { ts: 5000, hr: 87.6 }]),
    ).toEqual({ points: '0.0,47.8 150.0,30.0 300.0,34.0', min: 62, max: 95 });
  });

  it('keeps a value beyond the scale on its edge', () => {
    expect(
      pulseSparkline([
        { ts: 0, hr: 30 },
        { ts: 1, hr: 180 },
      ])?.points,
    ).toBe('0.0,60.0 300.0,0.0');
  });
});
