/**
 * Heart Rate Measurement, 0x2A37 (Heart Rate Service 1.0; GATT Specification Supplement).
 *
 *   flags        uint8    bit 0: rate is uint16 (else uint8)
 *                         bits 1-2: sensor contact (0b0x not supported, 0b10 not detected, 0b11 detected)
 *                         bit 3: energy expended present; bit 4: RR intervals present; bits 5-7 reserved
 *   heart rate   uint8 or uint16, beats/min
 *   energy       uint16, kJ since the last reset (saturates at 0xFFFF)      if bit 3
 *   RR intervals uint16 each, 1/1024 s, to the end of the value (one or more) if bit 4
 *
 * The RR intervals are beat-to-beat times, not the respiration rate (`rr` in protocol v1).
 */
import { ok, type Result } from '../result.ts';
import { assertNever } from './assert-never.ts';
import { ByteReader, type BleDecodeError } from './reader.ts';
import { ByteWriter, reservedOnly } from './writer.ts';

const RATE_UINT16 = 0x01;
const CONTACT_DETECTED = 0x02;
const CONTACT_SUPPORTED = 0x04;
const ENERGY_PRESENT = 0x08;
const RR_PRESENT = 0x10;
const RESERVED_FLAGS = 0xe0;

export type SensorContact = 'not_supported' | 'not_detected' | 'detected';

export interface RrInterval {
  /** In 1/1024 s, as sent. */
  readonly raw: number;
  /** In milliseconds (raw × 1000 / 1024, exact). */
  readonly ms: number;
}

export interface HeartRateMeasurement {
  readonly bpm: number;
  /** The width the rate was sent in. */
  readonly rateFormat: 'uint8' | 'uint16';
  readonly sensorContact: SensorContact;
  /** kJ; 0xFFFF means "at least 65535". */
  readonly energyExpendedKj?: number;
  /** Oldest first, as sent. */
  readonly rrIntervals?: readonly RrInterval[];
  /** Reserved flag bits that were set (0 normally). */
  readonly reservedFlags: number;
}

export interface HeartRateMeasurementInput {
  readonly bpm: number;
  /** Default: uint8 when the rate fits. */
  readonly rateFormat?: 'uint8' | 'uint16';
  readonly sensorContact: SensorContact;
  readonly energyExpendedKj?: number;
  readonly rrIntervals?: readonly { readonly raw: number }[];
  readonly reservedFlags?: number;
}

export function rrInterval(raw: number): RrInterval {
  return { raw, ms: (raw * 1000) / 1024 };
}

function contactOf(flags: number): SensorContact {
  if (!(flags & CONTACT_SUPPORTED)) return 'not_supported';
  return flags & CONTACT_DETECTED ? 'detected' : 'not_detected';
}

function contactFlags(contact: SensorContact): number {
  switch (contact) {
    case 'not_supported':
      return 0;
    case 'not_detected':
      return CONTACT_SUPPORTED;
    case 'detected':
      return CONTACT_SUPPORTED | CONTACT_DETECTED;
    default:
      return assertNever(contact);
  }
}

export function decodeHeartRateMeasurement(bytes: Uint8Array): Result<HeartRateMeasurement, BleDecodeError> {
  const r = new ByteReader(bytes);
  const flags = r.uint8('flags');
  if (!flags.ok) return flags;
  const f = flags.value;
  const wide = (f & RATE_UINT16) !== 0;
  const bpm = wide ? r.uint16('heart_rate') : r.uint8('heart_rate');
  if (!bpm.ok) return bpm;
  let energyExpendedKj: number | undefined;
  if (f & ENERGY_PRESENT) {
    const energy = r.uint16('energy_expended');
    if (!energy.ok) return energy;
    energyExpendedKj = energy.value;
  }
  let rrIntervals: RrInterval[] | undefined;
  if (f & RR_PRESENT) {
    rrIntervals = [];
    do {
      const rr = r.uint16('rr_interval');
      if (!rr.ok) return rr;
      rrIntervals.push(rrInterval(rr.value));
    } while (r.remaining > 0);
  }
  const end = r.end(f & RESERVED_FLAGS);
  if (!end.ok) return end;
  return ok({
    bpm: bpm.value,
    rateFormat: wide ? 'uint16' : 'uint8',
    sensorContact: contactOf(f),
    ...(energyExpendedKj === undefined ? {} : { energyExpendedKj }),
    ...(rrIntervals === undefined ? {} : { rrIntervals }),
    reservedFlags: f & RESERVED_FLAGS,
  });
}

/** Throws RangeError when a value does not fit its field, or for an empty RR interval list. */
export function encodeHeartRateMeasurement(m: HeartRateMeasurementInput): Uint8Array {
  const format = m.rateFormat ?? (m.bpm > 0xff ? 'uint16' : 'uint8');
  if (m.rrIntervals?.length === 0) throw new RangeError('RR intervals, when present, hold at least one interval');
  const flags =
    (format === 'uint16' ? RATE_UINT16 : 0) |
    contactFlags(m.sensorContact) |
    (m.energyExpendedKj === undefined ? 0 : ENERGY_PRESENT) |
    (m.rrIntervals === undefined ? 0 : RR_PRESENT) |
    reservedOnly(m.reservedFlags, RESERVED_FLAGS);
  const w = new ByteWriter().uint8(flags, 'flags');
  if (format === 'uint16') w.uint16(m.bpm, 'heart_rate');
  else w.uint8(m.bpm, 'heart_rate');
  if (m.energyExpendedKj !== undefined) w.uint16(m.energyExpendedKj, 'energy_expended');
  for (const rr of m.rrIntervals ?? []) w.uint16(rr.raw, 'rr_interval');
  return w.toBytes();
}
