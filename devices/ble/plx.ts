/**
 * Pulse oximetry (Pulse Oximeter Service 1.0.1; GATT Specification Supplement). SpO2 (%) and pulse
 * rate (beats/min) are SFLOATs; NaN means the device has no reading.
 *
 * Spot-check, 0x2A5E:
 *   flags uint8: bit 0 time stamp, bit 1 measurement status, bit 2 device and sensor status,
 *                bit 3 pulse amplitude index, bit 4 device clock is not set; bits 5-7 reserved
 *   SpO2 SFLOAT, PR SFLOAT, [time stamp 7], [measurement status uint16],
 *   [device and sensor status uint24], [pulse amplitude index SFLOAT]
 *
 * Continuous, 0x2A5F:
 *   flags uint8: bit 0 SpO2PR-Fast, bit 1 SpO2PR-Slow, bit 2 measurement status,
 *                bit 3 device and sensor status, bit 4 pulse amplitude index; bits 5-7 reserved
 *   SpO2PR-Normal (SpO2 SFLOAT, PR SFLOAT), [SpO2PR-Fast (2 SFLOAT)], [SpO2PR-Slow (2 SFLOAT)],
 *   [measurement status uint16], [device and sensor status uint24], [pulse amplitude index SFLOAT]
 */
import { ok, type Result } from '../result.ts';
import { bitField, type BitField, type BitName } from './bit-field.ts';
import type { BleField } from './fields.ts';
import type { Ieee11073Number, Ieee11073Wire } from './ieee11073.ts';
import { ByteReader, type BleDecodeError, type DateTime } from './reader.ts';
import { ByteWriter, reservedOnly } from './writer.ts';

export const PLX_MEASUREMENT_STATUS_BITS = [
  null,
  null,
  null,
  null,
  null,
  'measurement_ongoing',
  'early_estimated_data',
  'validated_data',
  'fully_qualified_data',
  'data_from_measurement_storage',
  'data_for_demonstration',
  'data_for_testing',
  'calibration_ongoing',
  'measurement_unavailable',
  'questionable_measurement_detected',
  'invalid_measurement_detected',
] as const;

export const PLX_DEVICE_AND_SENSOR_STATUS_BITS = [
  'extended_display_update_ongoing',
  'equipment_malfunction_detected',
  'signal_processing_irregularity_detected',
  'inadequate_signal_detected',
  'poor_signal_detected',
  'low_perfusion_detected',
  'erratic_signal_detected',
  'nonpulsatile_signal_detected',
  'questionable_pulse_detected',
  'signal_analysis_ongoing',
  'sensor_interference_detected',
  'sensor_unconnected_to_user',
  'unknown_sensor_connected',
  'sensor_displaced',
  'sensor_malfunctioning',
  'sensor_disconnected',
] as const;

export type PlxMeasurementStatus = BitField<BitName<typeof PLX_MEASUREMENT_STATUS_BITS>>;
export type PlxDeviceAndSensorStatus = BitField<BitName<typeof PLX_DEVICE_AND_SENSOR_STATUS_BITS>>;

export interface SpO2PulseRate {
  /** % */
  readonly spo2: Ieee11073Number;
  /** beats/min */
  readonly pulseRate: Ieee11073Number;
}

/** The optional fields both characteristics end with. */
interface PlxStatus {
  readonly measurementStatus?: PlxMeasurementStatus;
  readonly deviceAndSensorStatus?: PlxDeviceAndSensorStatus;
  /** % */
  readonly pulseAmplitudeIndex?: Ieee11073Number;
  /** Reserved flag bits that were set (0 normally). */
  readonly reservedFlags: number;
}

export interface PlxSpotCheckMeasurement extends SpO2PulseRate, PlxStatus {
  readonly timestamp?: DateTime;
  /** The device says its clock was never set: the time stamp is not wall-clock time. */
  readonly deviceClockNotSet: boolean;
}

export interface PlxContinuousMeasurement extends SpO2PulseRate, PlxStatus {
  readonly fast?: SpO2PulseRate;
  readonly slow?: SpO2PulseRate;
}

interface SpO2PulseRateInput {
  readonly spo2: Ieee11073Wire;
  readonly pulseRate: Ieee11073Wire;
}

interface PlxStatusInput {
  readonly measurementStatus?: { readonly raw: number };
  readonly deviceAndSensorStatus?: { readonly raw: number };
  readonly pulseAmplitudeIndex?: Ieee11073Wire;
  readonly reservedFlags?: number;
}

export interface PlxSpotCheckMeasurementInput extends SpO2PulseRateInput, PlxStatusInput {
  readonly timestamp?: DateTime;
  readonly deviceClockNotSet?: boolean;
}

export interface PlxContinuousMeasurementInput extends SpO2PulseRateInput, PlxStatusInput {
  readonly fast?: SpO2PulseRateInput;
  readonly slow?: SpO2PulseRateInput;
}

const RESERVED_FLAGS = 0xe0;

const SPOT = {
  timestamp: 0x01,
  measurementStatus: 0x02,
  deviceStatus: 0x04,
  pulseAmplitudeIndex: 0x08,
  clockNotSet: 0x10,
} as const;
const CONTINUOUS = {
  fast: 0x01,
  slow: 0x02,
  measurementStatus: 0x04,
  deviceStatus: 0x08,
  pulseAmplitudeIndex: 0x10,
} as const;

export function plxMeasurementStatus(raw: number): PlxMeasurementStatus {
  return bitField(PLX_MEASUREMENT_STATUS_BITS, raw);
}

export function plxDeviceAndSensorStatus(raw: number): PlxDeviceAndSensorStatus {
  return bitField(PLX_DEVICE_AND_SENSOR_STATUS_BITS, raw);
}

function readPair(r: ByteReader, spo2Field: BleField, pulseRateField: BleField): Result<SpO2PulseRate, BleDecodeError> {
  const spo2 = r.sfloat(spo2Field);
  if (!spo2.ok) return spo2;
  const pulseRate = r.sfloat(pulseRateField);
  if (!pulseRate.ok) return pulseRate;
  return ok({ spo2: spo2.value, pulseRate: pulseRate.value });
}

function readStatus(
  r: ByteReader,
  flags: number,
  bits: { readonly measurementStatus: number; readonly deviceStatus: number; readonly pulseAmplitudeIndex: number },
): Result<PlxStatus, BleDecodeError> {
  let measurementStatus: PlxMeasurementStatus | undefined;
  if (flags & bits.measurementStatus) {
    const raw = r.uint16('measurement_status');
    if (!raw.ok) return raw;
    measurementStatus = plxMeasurementStatus(raw.value);
  }
  let deviceAndSensorStatus: PlxDeviceAndSensorStatus | undefined;
  if (flags & bits.deviceStatus) {
    const raw = r.uint24('device_and_sensor_status');
    if (!raw.ok) return raw;
    deviceAndSensorStatus = plxDeviceAndSensorStatus(raw.value);
  }
  let pulseAmplitudeIndex: Ieee11073Number | undefined;
  if (flags & bits.pulseAmplitudeIndex) {
    const pai = r.sfloat('pulse_amplitude_index');
    if (!pai.ok) return pai;
    pulseAmplitudeIndex = pai.value;
  }
  const end = r.end(flags & RESERVED_FLAGS);
  if (!end.ok) return end;
  return ok({
    ...(measurementStatus ? { measurementStatus } : {}),
    ...(deviceAndSensorStatus ? { deviceAndSensorStatus } : {}),
    ...(pulseAmplitudeIndex ? { pulseAmplitudeIndex } : {}),
    reservedFlags: flags & RESERVED_FLAGS,
  });
}

export function decodePlxSpotCheckMeasurement(bytes: Uint8Array): Result<PlxSpotCheckMeasurement, BleDecodeError> {
  const r = new ByteReader(bytes);
  const flags = r.uint8('flags');
  if (!flags.ok) return flags;
  const f = flags.value;
  const pair = readPair(r, 'spo2', 'pulse_rate');
  if (!pair.ok) return pair;
  let timestamp: DateTime | undefined;
  if (f & SPOT.timestamp) {
    const t = r.dateTime('timestamp');
    if (!t.ok) return t;
    timestamp = t.value;
  }
  const status = readStatus(r, f, SPOT);
  if (!status.ok) return status;
  return ok({
    ...pair.value,
    ...(timestamp ? { timestamp } : {}),
    ...status.value,
    deviceClockNotSet: (f & SPOT.clockNotSet) !== 0,
  });
}

export function decodePlxContinuousMeasurement(bytes: Uint8Array): Result<PlxContinuousMeasurement, BleDecodeError> {
  const r = new ByteReader(bytes);
  const flags = r.uint8('flags');
  if (!flags.ok) return flags;
  const f = flags.value;
  const normal = readPair(r, 'spo2', 'pulse_rate');
  if (!normal.ok) return normal;
  let fast: SpO2PulseRate | undefined;
  if (f & CONTINUOUS.fast) {
    const pair = readPair(r, 'spo2_fast', 'pulse_rate_fast');
    if (!pair.ok) return pair;
    fast = pair.value;
  }
  let slow: SpO2PulseRate | undefined;
  if (f & CONTINUOUS.slow) {
    const pair = readPair(r, 'spo2_slow', 'pulse_rate_slow');
    if (!pair.ok) return pair;
    slow = pair.value;
  }
  const status = readStatus(r, f, CONTINUOUS);
  if (!status.ok) return status;
  return ok({
    ...normal.value,
    ...(fast ? { fast } : {}),
    ...(slow ? { slow } : {}),
    ...status.value,
  });
}

function writeStatus(w: ByteWriter, m: PlxStatusInput): Uint8Array {
  if (m.measurementStatus) w.uint16(m.measurementStatus.raw, 'measurement_status');
  if (m.deviceAndSensorStatus) w.uint24(m.deviceAndSensorStatus.raw, 'device_and_sensor_status');
  if (m.pulseAmplitudeIndex) w.sfloat(m.pulseAmplitudeIndex, 'pulse_amplitude_index');
  return w.toBytes();
}

/** Throws RangeError when a value does not fit its field. */
export function encodePlxSpotCheckMeasurement(m: PlxSpotCheckMeasurementInput): Uint8Array {
  const flags =
    (m.timestamp ? SPOT.timestamp : 0) |
    (m.measurementStatus ? SPOT.measurementStatus : 0) |
    (m.deviceAndSensorStatus ? SPOT.deviceStatus : 0) |
    (m.pulseAmplitudeIndex ? SPOT.pulseAmplitudeIndex : 0) |
    (m.deviceClockNotSet ? SPOT.clockNotSet : 0) |
    reservedOnly(m.reservedFlags, RESERVED_FLAGS);
  const w = new ByteWriter().uint8(flags, 'flags').sfloat(m.spo2, 'spo2').sfloat(m.pulseRate, 'pulse_rate');
  if (m.timestamp) w.dateTime(m.timestamp, 'timestamp');
  return writeStatus(w, m);
}

/** Throws RangeError when a value does not fit its field. */
export function encodePlxContinuousMeasurement(m: PlxContinuousMeasurementInput): Uint8Array {
  const flags =
    (m.fast ? CONTINUOUS.fast : 0) |
    (m.slow ? CONTINUOUS.slow : 0) |
    (m.measurementStatus ? CONTINUOUS.measurementStatus : 0) |
    (m.deviceAndSensorStatus ? CONTINUOUS.deviceStatus : 0) |
    (m.pulseAmplitudeIndex ? CONTINUOUS.pulseAmplitudeIndex : 0) |
    reservedOnly(m.reservedFlags, RESERVED_FLAGS);
  const w = new ByteWriter().uint8(flags, 'flags').sfloat(m.spo2, 'spo2').sfloat(m.pulseRate, 'pulse_rate');
  if (m.fast) w.sfloat(m.fast.spo2, 'spo2_fast').sfloat(m.fast.pulseRate, 'pulse_rate_fast');
  if (m.slow) w.sfloat(m.slow.spo2, 'spo2_slow').sfloat(m.slow.pulseRate, 'pulse_rate_slow');
  return writeStatus(w, m);
}
