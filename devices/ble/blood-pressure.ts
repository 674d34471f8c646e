/**
 * Blood Pressure Measurement, 0x2A35 (Blood Pressure Service 1.0; GATT Specification
 * Supplement).
 *
 *   flags uint8: bit 0 unit (0 mmHg, 1 kPa), bit 1 time stamp, bit 2 pulse rate, bit 3 user ID,
 *                bit 4 measurement status; bits 5-7 reserved
 *   systolic SFLOAT, diastolic SFLOAT, mean arterial pressure SFLOAT (in the flagged unit; NaN when
 *   the device has no value), [time stamp 7], [pulse rate SFLOAT], [user ID uint8, 0xFF unknown user],
 *   [measurement status uint16]
 */
import { ok, type Result } from '../result.ts';
import { bitField, type BitField, type BitName } from './bit-field.ts';
import { readingOf, type Ieee11073Number, type Ieee11073Wire } from './ieee11073.ts';
import { ByteReader, type BleDecodeError, type DateTime } from './reader.ts';
import { kpaToMmHg } from './units.ts';
import { ByteWriter, reservedOnly } from './writer.ts';

/** Measurement status bits 0-5; bits 3-4 are the pulse rate range, decoded apart. */
export const BLOOD_PRESSURE_STATUS_BITS = [
  'body_movement',
  'cuff_too_loose',
  'irregular_pulse',
  null,
  null,
  'improper_position',
] as const;

const PULSE_RATE_RANGES = ['within_range', 'above_upper_limit', 'below_lower_limit', 'reserved'] as const;
export type PulseRateRange = (typeof PULSE_RATE_RANGES)[number];

export interface BloodPressureStatus extends BitField<BitName<typeof BLOOD_PRESSURE_STATUS_BITS>> {
  readonly pulseRateRange: PulseRateRange;
}

export type PressureUnit = 'mmHg' | 'kPa';

export interface BloodPressureMeasurement {
  readonly unit: PressureUnit;
  /** As sent, in `unit`. */
  readonly systolic: Ieee11073Number;
  readonly diastolic: Ieee11073Number;
  readonly meanArterialPressure: Ieee11073Number;
  /** The three pressures in mmHg (converted from kPa if need be); absent when no reading. */
  readonly mmHg: { readonly systolic?: number; readonly diastolic?: number; readonly meanArterialPressure?: number };
  readonly timestamp?: DateTime;
  /** beats/min */
  readonly pulseRate?: Ieee11073Number;
  /** 0xFF: unknown user. */
  readonly userId?: number;
  readonly measurementStatus?: BloodPressureStatus;
  readonly reservedFlags: number;
}

export interface BloodPressureMeasurementInput {
  readonly unit: PressureUnit;
  readonly systolic: Ieee11073Wire;
  readonly diastolic: Ieee11073Wire;
  readonly meanArterialPressure: Ieee11073Wire;
  readonly timestamp?: DateTime;
  readonly pulseRate?: Ieee11073Wire;
  readonly userId?: number;
  readonly measurementStatus?: { readonly raw: number };
  readonly reservedFlags?: number;
}

const KPA = 0x01;
const TIMESTAMP = 0x02;
const PULSE_RATE = 0x04;
const USER_ID = 0x08;
const STATUS = 0x10;
const RESERVED_FLAGS = 0xe0;
const PULSE_RANGE_MASK = 0b11 << 3;

export function bloodPressureStatus(raw: number): BloodPressureStatus {
  const range = PULSE_RATE_RANGES[(raw & PULSE_RANGE_MASK) >> 3] ?? 'reserved';
  return { ...bitField(BLOOD_PRESSURE_STATUS_BITS, raw, PULSE_RANGE_MASK), pulseRateRange: range };
}

function inMmHg(unit: PressureUnit, n: Ieee11073Number): number | undefined {
  const value = readingOf(n);
  return value === undefined || unit === 'mmHg' ? value : kpaToMmHg(value);
}

export function decodeBloodPressureMeasurement(bytes: Uint8Array): Result<BloodPressureMeasurement, BleDecodeError> {
  const r = new ByteReader(bytes);
  const flags = r.uint8('flags');
  if (!flags.ok) return flags;
  const f = flags.value;
  const unit: PressureUnit = f & KPA ? 'kPa' : 'mmHg';
  const systolic = r.sfloat('systolic');
  if (!systolic.ok) return systolic;
  const diastolic = r.sfloat('diastolic');
  if (!diastolic.ok) return diastolic;
  const map = r.sfloat('mean_arterial_pressure');
  if (!map.ok) return map;
  let timestamp: DateTime | undefined;
  if (f & TIMESTAMP) {
    const t = r.dateTime('timestamp');
    if (!t.ok) return t;
    timestamp = t.value;
  }
  let pulseRate: Ieee11073Number | undefined;
  if (f & PULSE_RATE) {
    const p = r.sfloat('pulse_rate');
    if (!p.ok) return p;
    pulseRate = p.value;
  }
  let userId: number | undefined;
  if (f & USER_ID) {
    const u = r.uint8('user_id');
    if (!u.ok) return u;
    userId = u.value;
  }
  let measurementStatus: BloodPressureStatus | undefined;
  if (f & STATUS) {
    const s = r.uint16('measurement_status');
    if (!s.ok) return s;
    measurementStatus = bloodPressureStatus(s.value);
  }
  const end = r.end(f & RESERVED_FLAGS);
  if (!end.ok) return end;
  const sys = inMmHg(unit, systolic.value);
  const dia = inMmHg(unit, diastolic.value);
  const mean = inMmHg(unit, map.value);
  return ok({
    unit,
    systolic: systolic.value,
    diastolic: diastolic.value,
    meanArterialPressure: map.value,
    mmHg: {
      ...(sys === undefined ? {} : { systolic: sys }),
      ...(dia === undefined ? {} : { diastolic: dia }),
      ...(mean === undefined ? {} : { meanArterialPressure: mean }),
    },
    ...(timestamp ? { timestamp } : {}),
    ...(pulseRate ? { pulseRate } : {}),
    ...(userId === undefined ? {} : { userId }),
    ...(measurementStatus ? { measurementStatus } : {}),
    reservedFlags: f & RESERVED_FLAGS,
  });
}

/** Throws RangeError when a value does not fit its field. */
export function encodeBloodPressureMeasurement(m: BloodPressureMeasurementInput): Uint8Array {
  const flags =
    (m.unit === 'kPa' ? KPA : 0) |
    (m.timestamp ? TIMESTAMP : 0) |
    (m.pulseRate ? PULSE_RATE : 0) |
    (m.userId === undefined ? 0 : USER_ID) |
    (m.measurementStatus ? STATUS : 0) |
    reservedOnly(m.reservedFlags, RESERVED_FLAGS);
  const w = new ByteWriter()
    .uint8(flags, 'flags')
    .sfloat(m.systolic, 'systolic')
    .sfloat(m.diastolic, 'diastolic')
    .sfloat(m.meanArterialPressure, 'mean_arterial_pressure');
  if (m.timestamp) w.dateTime(m.timestamp, 'timestamp');
  if (m.pulseRate) w.sfloat(m.pulseRate, 'pulse_rate');
  if (m.userId !== undefined) w.uint8(m.userId, 'user_id');
  if (m.measurementStatus) w.uint16(m.measurementStatus.raw, 'measurement_status');
  return w.toBytes();
}
