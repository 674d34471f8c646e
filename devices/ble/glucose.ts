/**
 * Glucose Measurement, 0x2A18 (Glucose Service 1.0.1; GATT Specification Supplement).
 *
 *   flags uint8: bit 0 time offset, bit 1 concentration with type and sample location,
 *                bit 2 concentration unit (0 kg/L, 1 mol/L), bit 3 sensor status annunciation,
 *                bit 4 context information follows (in a separate Glucose Measurement Context
 *                notification; no field here); bits 5-7 reserved
 *   sequence number uint16, base time 7, [time offset sint16, minutes],
 *   [concentration SFLOAT, type (low nibble) and sample location (high nibble) uint8],
 *   [sensor status annunciation uint16]
 */
import { ok, type Result } from '../result.ts';
import { bitField, type BitField, type BitName } from './bit-field.ts';
import { coded, type Coded } from './enumeration.ts';
import { scaleByPowerOfTen, type Ieee11073Number, type Ieee11073Wire } from './ieee11073.ts';
import { ByteReader, type BleDecodeError, type DateTime } from './reader.ts';
import { glucoseMgDlToMmolL, glucoseMmolLToMgDl } from './units.ts';
import { ByteWriter, reservedOnly } from './writer.ts';

/** Type by code (low nibble); 0 and 11-15 are reserved. */
export const GLUCOSE_TYPES = [
  null,
  'capillary_whole_blood',
  'capillary_plasma',
  'venous_whole_blood',
  'venous_plasma',
  'arterial_whole_blood',
  'arterial_plasma',
  'undetermined_whole_blood',
  'undetermined_plasma',
  'interstitial_fluid',
  'control_solution',
] as const;

/** Sample location by code (high nibble); 0 and 5-14 are reserved. */
export const GLUCOSE_SAMPLE_LOCATIONS = [
  null,
  'finger',
  'alternate_site_test',
  'earlobe',
  'control_solution',
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  null,
  'not_available',
] as const;

export const GLUCOSE_SENSOR_STATUS_BITS = [
  'device_battery_low',
  'sensor_malfunction',
  'sample_size_insufficient',
  'strip_insertion_error',
  'strip_type_incorrect',
  'result_above_device_range',
  'result_below_device_range',
  'sensor_temperature_too_high',
  'sensor_temperature_too_low',
  'sensor_read_interrupted',
  'general_device_fault',
  'time_fault',
] as const;

export type GlucoseType = Coded<NonNullable<(typeof GLUCOSE_TYPES)[number]>>;
export type GlucoseSampleLocation = Coded<NonNullable<(typeof GLUCOSE_SAMPLE_LOCATIONS)[number]>>;
export type GlucoseSensorStatus = BitField<BitName<typeof GLUCOSE_SENSOR_STATUS_BITS>>;
export type GlucoseUnits = 'kg/L' | 'mol/L';

export interface GlucoseConcentration {
  /** As sent, in the measurement's `units`. */
  readonly value: Ieee11073Number;
  /** Absent when no reading. */
  readonly mgPerDl?: number;
  readonly mmolPerL?: number;
  readonly type: GlucoseType;
  readonly sampleLocation: GlucoseSampleLocation;
}

export interface GlucoseMeasurement {
  readonly sequenceNumber: number;
  readonly baseTime: DateTime;
  /** Minutes to add to the base time. */
  readonly timeOffsetMinutes?: number;
  /** The unit flag (meaningful only with a concentration). */
  readonly units: GlucoseUnits;
  readonly concentration?: GlucoseConcentration;
  readonly sensorStatus?: GlucoseSensorStatus;
  /** A Glucose Measurement Context with the same sequence number follows. */
  readonly contextFollows: boolean;
  readonly reservedFlags: number;
}

export interface GlucoseMeasurementInput {
  readonly sequenceNumber: number;
  readonly baseTime: DateTime;
  readonly timeOffsetMinutes?: number;
  readonly units: GlucoseUnits;
  readonly concentration?: {
    readonly value: Ieee11073Wire;
    readonly type: { readonly code: number };
    readonly sampleLocation: { readonly code: number };
  };
  readonly sensorStatus?: { readonly raw: number };
  readonly contextFollows?: boolean;
  readonly reservedFlags?: number;
}

const TIME_OFFSET = 0x01;
const CONCENTRATION = 0x02;
const MOL_PER_L = 0x04;
const SENSOR_STATUS = 0x08;
const CONTEXT_FOLLOWS = 0x10;
const RESERVED_FLAGS = 0xe0;

export function glucoseSensorStatus(raw: number): GlucoseSensorStatus {
  return bitField(GLUCOSE_SENSOR_STATUS_BITS, raw);
}

/** kg/L × 10^5 = mg/dL; mol/L × 10^3 = mmol/L; each computed from the mantissa, exactly. */
function clinicalUnits(units: GlucoseUnits, n: Ieee11073Number): { mgPerDl?: number; mmolPerL?: number } {
  if (n.kind !== 'value') return {};
  if (units === 'kg/L') {
    const mgPerDl = scaleByPowerOfTen(n.mantissa, n.exponent + 5);
    return { mgPerDl, mmolPerL: glucoseMgDlToMmolL(mgPerDl) };
  }
  const mmolPerL = scaleByPowerOfTen(n.mantissa, n.exponent + 3);
  return { mgPerDl: glucoseMmolLToMgDl(mmolPerL), mmolPerL };
}

export function decodeGlucoseMeasurement(bytes: Uint8Array): Result<GlucoseMeasurement, BleDecodeError> {
  const r = new ByteReader(bytes);
  const flags = r.uint8('flags');
  if (!flags.ok) return flags;
  const f = flags.value;
  const units: GlucoseUnits = f & MOL_PER_L ? 'mol/L' : 'kg/L';
  const sequenceNumber = r.uint16('sequence_number');
  if (!sequenceNumber.ok) return sequenceNumber;
  const baseTime = r.dateTime('base_time');
  if (!baseTime.ok) return baseTime;
  let timeOffsetMinutes: number | undefined;
  if (f & TIME_OFFSET) {
    const t = r.int16('time_offset');
    if (!t.ok) return t;
    timeOffsetMinutes = t.value;
  }
  let concentration: GlucoseConcentration | undefined;
  if (f & CONCENTRATION) {
    const value = r.sfloat('glucose_concentration');
    if (!value.ok) return value;
    const typeAndLocation = r.uint8('type_sample_location');
    if (!typeAndLocation.ok) return typeAndLocation;
    concentration = {
      value: value.value,
      ...clinicalUnits(units, value.value),
      type: coded(GLUCOSE_TYPES, typeAndLocation.value & 0x0f),
      sampleLocation: coded(GLUCOSE_SAMPLE_LOCATIONS, typeAndLocation.value >> 4),
    };
  }
  let sensorStatus: GlucoseSensorStatus | undefined;
  if (f & SENSOR_STATUS) {
    const s = r.uint16('sensor_status_annunciation');
    if (!s.ok) return s;
    sensorStatus = glucoseSensorStatus(s.value);
  }
  const end = r.end(f & RESERVED_FLAGS);
  if (!end.ok) return end;
  return ok({
    sequenceNumber: sequenceNumber.value,
    baseTime: baseTime.value,
    ...(timeOffsetMinutes === undefined ? {} : { timeOffsetMinutes }),
    units,
    ...(concentration ? { concentration } : {}),
    ...(sensorStatus ? { sensorStatus } : {}),
    contextFollows: (f & CONTEXT_FOLLOWS) !== 0,
    reservedFlags: f & RESERVED_FLAGS,
  });
}

function nibble(code: number, what: string): number {
  if (!Number.isInteger(code) || code < 0 || code > 15)
    throw new RangeError(`glucose ${what} must be a code from 0 to 15, got ${code}`);
  return code;
}

/** Throws RangeError when a value does not fit its field. */
export function encodeGlucoseMeasurement(m: GlucoseMeasurementInput): Uint8Array {
  const flags =
    (m.timeOffsetMinutes === undefined ? 0 : TIME_OFFSET) |
    (m.concentration ? CONCENTRATION : 0) |
    (m.units === 'mol/L' ? MOL_PER_L : 0) |
    (m.sensorStatus ? SENSOR_STATUS : 0) |
    (m.contextFollows ? CONTEXT_FOLLOWS : 0) |
    reservedOnly(m.reservedFlags, RESERVED_FLAGS);
  const w = new ByteWriter()
    .uint8(flags, 'flags')
    .uint16(m.sequenceNumber, 'sequence_number')
    .dateTime(m.baseTime, 'base_time');
  if (m.timeOffsetMinutes !== undefined) w.int16(m.timeOffsetMinutes, 'time_offset');
  if (m.concentration) {
    const { value, type, sampleLocation } = m.concentration;
    w.sfloat(value, 'glucose_concentration').uint8(
      nibble(type.code, 'type') | (nibble(sampleLocation.code, 'sample location') << 4),
      'type_sample_location',
    );
  }
  if (m.sensorStatus) w.uint16(m.sensorStatus.raw, 'sensor_status_annunciation');
  return w.toBytes();
}
