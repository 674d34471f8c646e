/**
 * A network-quality indicator from WebRTC statistics: packet loss and jitter of what we receive,
 * round-trip time of the selected ICE candidate pair, over the interval between two samples.
 * Thresholds follow the usual voice/video guidance (ITU-T G.114 for delay; loss above a few per cent
 * is visible in video).
 */
export type Quality = 'good' | 'fair' | 'poor' | 'unknown';

export interface StatsSample {
  /** Sum over inbound RTP streams. */
  readonly packetsReceived: number;
  readonly packetsLost: number;
  /** Worst inbound jitter, seconds. */
  readonly jitter: number | undefined;
  /** Selected candidate pair, seconds. */
  readonly roundTripTime: number | undefined;
}

export const THRESHOLDS = {
  poor: { loss: 0.08, rttSec: 0.6, jitterSec: 0.1 },
  fair: { loss: 0.02, rttSec: 0.3, jitterSec: 0.05 },
} as const;

export function quality(previous: StatsSample | undefined, current: StatsSample): Quality {
  const received = previous ? current.packetsReceived - previous.packetsReceived : 0;
  const lost = previous ? Math.max(0, current.packetsLost - previous.packetsLost) : 0;
  const hasPackets = received + lost > 0;
  if (!hasPackets && current.roundTripTime === undefined) return 'unknown';
  const loss = hasPackets ? lost / (received + lost) : 0;
  const rtt = current.roundTripTime ?? 0;
  const jitter = current.jitter ?? 0;
  const { poor, fair } = THRESHOLDS;
  if (loss >= poor.loss || rtt >= poor.rttSec || jitter >= poor.jitterSec) return 'poor';
  if (loss >= fair.loss || rtt >= fair.rttSec || jitter >= fair.jitterSec) return 'fair';
  return 'good';
}

/** Reduces RTCStatsReports (from the receive and send transports) to one sample. */
export function sampleOf(reports: readonly Iterable<[string, Record<string, unknown>]>[]): StatsSample {
  let packetsReceived = 0;
  let packetsLost = 0;
  let jitter: number | undefined;
  let roundTripTime: number | undefined;
  for (const report of reports) {
    for (const [, s] of report) {
      if (s.type === 'inbound-rtp') {
        packetsReceived += num(s.packetsReceived) ?? 0;
        packetsLost += num(s.packetsLost) ?? 0;
        const j = num(s.jitter);
        if (j !== undefined) jitter = Math.max(jitter ?? 0, j);
      } else if (s.type === 'candidate-pair' && (s.nominated === true || s.state === 'succeeded')) {
        const rtt = num(s.currentRoundTripTime);
        if (rtt !== undefined) roundTripTime = Math.max(roundTripTime ?? 0, rtt);
      }
    }
  }
  return { packetsReceived, packetsLost, jitter, roundTripTime };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
