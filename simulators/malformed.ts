/** Broken payloads a faulty watch might send; each must be rejected by the protocol with this code. */
import type { ProtocolErrorCode } from '../devices/protocol.ts';

export interface MalformedPayload {
  readonly name: string;
  readonly code: ProtocolErrorCode;
  build(ts: number, seq: number): Buffer;
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

export const MALFORMED_PAYLOADS: readonly MalformedPayload[] = [
  { name: 'not JSON', code: 'not_json', build: (ts, seq) => Buffer.from(`{"ts":${ts},"seq":${seq},"hr":7`) },
  { name: 'unknown field', code: 'invalid', build: (ts, seq) => json({ ts, seq, heart_rate: 72 }) },
  { name: 'out of range', code: 'out_of_range', build: (ts, seq) => json({ ts, seq, hr: 400 }) },
  { name: 'string for a number', code: 'invalid', build: (ts, seq) => json({ ts, seq, spo2: '97' }) },
  { name: 'future timestamp', code: 'future_timestamp', build: (ts, seq) => json({ ts: ts + 3_600_000, seq, hr: 70 }) },
];
