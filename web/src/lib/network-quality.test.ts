import { describe, expect, it } from 'vitest';
import { quality, sampleOf, THRESHOLDS, type StatsSample } from './network-quality.ts';

const base: StatsSample = { packetsReceived: 1000, packetsLost: 0, jitter: 0.005, roundTripTime: 0.02 };
const after = (received: number, lost: number, extra: Partial<StatsSample> = {}): StatsSample => ({
  ...base,
  packetsReceived: base.packetsReceived + received,
  packetsLost: lost,
  ...extra,
});

describe('network quality', () => {
  it.each([
    [
      'no data yet',
      undefined,
      { packetsReceived: 0, packetsLost: 0, jitter: undefined, roundTripTime: undefined },
      'unknown',
    ],
    ['clean loopback', base, after(100, 0), 'good'],
    ['loss just under fair', base, after(99, 1.9), 'good'],
    ['loss at fair', base, after(98, 2), 'fair'],
    ['loss just under poor', base, after(93, 7), 'fair'],
    ['loss at poor', base, after(92, 8), 'poor'],
    ['round trip at fair', base, after(100, 0, { roundTripTime: THRESHOLDS.fair.rttSec }), 'fair'],
    ['round trip at poor', base, after(100, 0, { roundTripTime: THRESHOLDS.poor.rttSec }), 'poor'],
    ['jitter at fair', base, after(100, 0, { jitter: THRESHOLDS.fair.jitterSec }), 'fair'],
    ['jitter at poor', base, after(100, 0, { jitter: THRESHOLDS.poor.jitterSec }), 'poor'],
    [
      'only a round trip (nothing received yet)',
      undefined,
      { packetsReceived: 0, packetsLost: 0, jitter: undefined, roundTripTime: 0.05 },
      'good',
    ],
  ] as const)('%s', (_name, previous, current, expected) => {
    expect(quality(previous, current)).toBe(expected);
  });

  it('uses the interval, not the totals since the call started', () => {
    // 10 % lost long ago, none in the last interval.
    expect(quality({ ...base, packetsLost: 100 }, { ...base, packetsReceived: 1100, packetsLost: 100 })).toBe('good');
  });

  it('sums inbound streams and takes the nominated pair from stats reports', () => {
    const report = new Map<string, Record<string, unknown>>([
      ['a', { type: 'inbound-rtp', kind: 'video', packetsReceived: 500, packetsLost: 3, jitter: 0.01 }],
      ['b', { type: 'inbound-rtp', kind: 'audio', packetsReceived: 250, packetsLost: 1, jitter: 0.03 }],
      ['c', { type: 'candidate-pair', nominated: true, currentRoundTripTime: 0.04 }],
      ['d', { type: 'candidate-pair', nominated: false, state: 'waiting', currentRoundTripTime: 9 }],
      ['e', { type: 'outbound-rtp', packetsSent: 999 }],
    ]);
    expect(sampleOf([report])).toEqual({ packetsReceived: 750, packetsLost: 4, jitter: 0.03, roundTripTime: 0.04 });
  });
});
