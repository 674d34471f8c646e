/**
 * The GATT side of the health devices Vigie reads: assigned numbers (the names are Web Bluetooth's
 * GATT names), which service holds each characteristic, how its values arrive, its codec, and how a
 * decoded reading maps to protocol v1 vitals.
 */
import type { Result } from '../result.ts';
import { assertNever } from './assert-never.ts';
import { decodeBatteryLevel, encodeBatteryLevel } from './battery.ts';
import {
  decodeBloodPressureMeasurement,
  encodeBloodPressureMeasurement,
  type BloodPressureMeasurement,
} from './blood-pressure.ts';
import {
  decodeGlucoseMeasurement,
  encodeGlucoseMeasurement,
  GLUCOSE_SENSOR_STATUS_BITS,
  type GlucoseMeasurement,
  type GlucoseSensorStatus,
} from './glucose.ts';
import { decodeHeartRateMeasurement, encodeHeartRateMeasurement, type HeartRateMeasurement } from './heart-rate.ts';
import {
  decodePlxContinuousMeasurement,
  decodePlxSpotCheckMeasurement,
  encodePlxContinuousMeasurement,
  encodePlxSpotCheckMeasurement,
  type PlxContinuousMeasurement,
  type PlxMeasurementStatus,
  type PlxSpotCheckMeasurement,
} from './plx.ts';
import { readingOf, type Ieee11073Number } from './ieee11073.ts';
import type { BleDecodeError } from './reader.ts';
import {
  decodeTemperatureMeasurement,
  encodeTemperatureMeasurement,
  type TemperatureMeasurement,
} from './temperature.ts';
import { decodeWeightMeasurement, encodeWeightMeasurement, type WeightMeasurement } from './weight.ts';

export const SERVICES = {
  heart_rate: 0x180d,
  pulse_oximeter: 0x1822,
  blood_pressure: 0x1810,
  health_thermometer: 0x1809,
  weight_scale: 0x181d,
  glucose: 0x1808,
  battery_service: 0x180f,
  device_information: 0x180a,
} as const;
export type ServiceName = keyof typeof SERVICES;

/** What each characteristic decodes to. */
export interface DecodedCharacteristics {
  readonly heart_rate_measurement: HeartRateMeasurement;
  readonly plx_spot_check_measurement: PlxSpotCheckMeasurement;
  readonly plx_continuous_measurement: PlxContinuousMeasurement;
  readonly blood_pressure_measurement: BloodPressureMeasurement;
  readonly temperature_measurement: TemperatureMeasurement;
  readonly weight_measurement: WeightMeasurement;
  readonly glucose_measurement: GlucoseMeasurement;
  /** % */
  readonly battery_level: number;
}
export type CharacteristicName = keyof DecodedCharacteristics;

/** A decoded value tagged with its characteristic. */
export type BleReading = {
  readonly [K in CharacteristicName]: { readonly characteristic: K; readonly value: DecodedCharacteristics[K] };
}[CharacteristicName];

export interface CharacteristicSpec<T> {
  readonly uuid: number;
  readonly service: ServiceName;
  /** Indications are acknowledged by the client (stored measurements); notifications are not. */
  readonly delivery: 'notify' | 'indicate';
  readonly decode: (bytes: Uint8Array) => Result<T, BleDecodeError>;
}

export const CHARACTERISTICS: { readonly [K in CharacteristicName]: CharacteristicSpec<DecodedCharacteristics[K]> } = {
  heart_rate_measurement: {
    uuid: 0x2a37,
    service: 'heart_rate',
    delivery: 'notify',
    decode: decodeHeartRateMeasurement,
  },
  plx_spot_check_measurement: {
    uuid: 0x2a5e,
    service: 'pulse_oximeter',
    delivery: 'indicate',
    decode: decodePlxSpotCheckMeasurement,
  },
  plx_continuous_measurement: {
    uuid: 0x2a5f,
    service: 'pulse_oximeter',
    delivery: 'notify',
    decode: decodePlxContinuousMeasurement,
  },
  blood_pressure_measurement: {
    uuid: 0x2a35,
    service: 'blood_pressure',
    delivery: 'indicate',
    decode: decodeBloodPressureMeasurement,
  },
  temperature_measurement: {
    uuid: 0x2a1c,
    service: 'health_thermometer',
    delivery: 'indicate',
    decode: decodeTemperatureMeasurement,
  },
  weight_measurement: { uuid: 0x2a9d, service: 'weight_scale', delivery: 'indicate', decode: decodeWeightMeasurement },
  glucose_measurement: { uuid: 0x2a18, service: 'glucose', delivery: 'notify', decode: decodeGlucoseMeasurement },
  battery_level: { uuid: 0x2a19, service: 'battery_service', delivery: 'notify', decode: decodeBatteryLevel },
};

export const CHARACTERISTIC_NAMES: readonly CharacteristicName[] = [
  'heart_rate_measurement',
  'plx_spot_check_measurement',
  'plx_continuous_measurement',
  'blood_pressure_measurement',
  'temperature_measurement',
  'weight_measurement',
  'glucose_measurement',
  'battery_level',
];

/** The 128-bit form of a 16-bit assigned number: 0000xxxx-0000-1000-8000-00805f9b34fb. */
export function uuid128(assigned: number): string {
  if (!Number.isInteger(assigned) || assigned < 0 || assigned > 0xffff)
    throw new RangeError(`a 16-bit assigned number is 0 to 0xffff, got ${assigned}`);
  return `0000${assigned.toString(16).padStart(4, '0')}-0000-1000-8000-00805f9b34fb`;
}

/** The characteristic with this UUID (a 16-bit number or a 128-bit string, any case), if we decode it. */
export function characteristicByUuid(uuid: number | string): CharacteristicName | undefined {
  const wanted = typeof uuid === 'number' ? uuid : shortForm(uuid);
  return CHARACTERISTIC_NAMES.find((name) => CHARACTERISTICS[name].uuid === wanted);
}

function shortForm(uuid: string): number | undefined {
  const m = /^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$/i.exec(uuid);
  return m?.[1] === undefined ? undefined : Number.parseInt(m[1], 16);
}

/** Decodes a value of `characteristic`. Never throws. */
export function decodeCharacteristic(
  characteristic: CharacteristicName,
  bytes: Uint8Array,
): Result<BleReading, BleDecodeError> {
  switch (characteristic) {
    case 'heart_rate_measurement':
      return tagged(characteristic, decodeHeartRateMeasurement(bytes));
    case 'plx_spot_check_measurement':
      return tagged(characteristic, decodePlxSpotCheckMeasurement(bytes));
    case 'plx_continuous_measurement':
      return tagged(characteristic, decodePlxContinuousMeasurement(bytes));
    case 'blood_pressure_measurement':
      return tagged(characteristic, decodeBloodPressureMeasurement(bytes));
    case 'temperature_measurement':
      return tagged(characteristic, decodeTemperatureMeasurement(bytes));
    case 'weight_measurement':
      return tagged(characteristic, decodeWeightMeasurement(bytes));
    case 'glucose_measurement':
      return tagged(characteristic, decodeGlucoseMeasurement(bytes));
    case 'battery_level':
      return tagged(characteristic, decodeBatteryLevel(bytes));
    default:
      return assertNever(characteristic);
  }
}

function tagged<K extends CharacteristicName>(
  characteristic: K,
  r: Result<DecodedCharacteristics[K], BleDecodeError>,
): Result<{ readonly characteristic: K; readonly value: DecodedCharacteristics[K] }, BleDecodeError> {
  return r.ok ? { ok: true, value: { characteristic, value: r.value } } : r;
}

/** The bytes of a reading (for simulators): decoding them gives the reading back. Throws RangeError on values that do not fit. */
export function encodeReading(reading: BleReading): Uint8Array {
  switch (reading.characteristic) {
    case 'heart_rate_measurement':
      return encodeHeartRateMeasurement(reading.value);
    case 'plx_spot_check_measurement':
      return encodePlxSpotCheckMeasurement(reading.value);
    case 'plx_continuous_measurement':
      return encodePlxContinuousMeasurement(reading.value);
    case 'blood_pressure_measurement':
      return encodeBloodPressureMeasurement(reading.value);
    case 'temperature_measurement':
      return encodeTemperatureMeasurement(reading.value);
    case 'weight_measurement':
      return encodeWeightMeasurement(reading.value);
    case 'glucose_measurement':
      return encodeGlucoseMeasurement(reading.value);
    case 'battery_level':
      return encodeBatteryLevel(reading.value);
    default:
      return assertNever(reading);
  }
}

/**
 * Protocol v1 vital fields a reading provides: `hr` (beats/min), `spo2` (%), `temp` (°C), `sys` and
 * `dia` (mmHg), `battery` (%), and `weight` (kg) and `glucose` (mmol/L), which protocol v1 is about to
 * gain. No BLE characteristic here carries the respiration rate `rr`; RR intervals are heartbeats.
 * Plausibility ranges are the protocol's to check, not ours.
 */
export interface BleVitals {
  readonly hr?: number;
  readonly spo2?: number;
  readonly temp?: number;
  readonly sys?: number;
  readonly dia?: number;
  readonly weight?: number;
  readonly glucose?: number;
  readonly battery?: number;
}

/** Pulse oximeter statuses under which the numbers are not the wearer's measurement. */
const PLX_NOT_A_MEASUREMENT: ReadonlySet<PlxMeasurementStatus['set'][number]> = new Set([
  'measurement_unavailable',
  'invalid_measurement_detected',
  'data_for_demonstration',
  'data_for_testing',
]);

/**
 * Glucose meter annunciations under which the concentration is not a valid result: a faulty sensor,
 * sample or strip, or a result outside what the meter can measure (the number is then a clamp, not
 * the level). A low battery or a clock fault leave the result valid.
 */
const GLUCOSE_STILL_VALID: ReadonlySet<GlucoseSensorStatus['set'][number]> = new Set([
  'device_battery_low',
  'time_fault',
]);
const GLUCOSE_NOT_A_MEASUREMENT: ReadonlySet<GlucoseSensorStatus['set'][number]> = new Set(
  GLUCOSE_SENSOR_STATUS_BITS.filter((b) => !GLUCOSE_STILL_VALID.has(b)),
);

/** The protocol v1 vitals in a reading; "no reading" values (NaN, unsuccessful, invalid) give none. */
export function toVitals(reading: BleReading): BleVitals {
  switch (reading.characteristic) {
    case 'heart_rate_measurement': {
      const m = reading.value;
      return m.sensorContact === 'not_detected' ? {} : { hr: m.bpm };
    }
    case 'plx_spot_check_measurement':
    case 'plx_continuous_measurement': {
      const m = reading.value;
      if (m.measurementStatus?.set.some((s) => PLX_NOT_A_MEASUREMENT.has(s))) return {};
      return { ...vitalOf('spo2', m.spo2), ...vitalOf('hr', m.pulseRate) };
    }
    case 'blood_pressure_measurement': {
      const m = reading.value;
      return {
        ...vital('sys', m.mmHg.systolic),
        ...vital('dia', m.mmHg.diastolic),
        ...(m.pulseRate ? vitalOf('hr', m.pulseRate) : {}),
      };
    }
    case 'temperature_measurement':
      return vital('temp', reading.value.celsius);
    case 'weight_measurement':
      return vital('weight', reading.value.kg);
    case 'glucose_measurement': {
      const m = reading.value;
      const c = m.concentration;
      if (!c || c.type.name === 'control_solution' || c.sampleLocation.name === 'control_solution') return {};
      if (m.sensorStatus?.set.some((s) => GLUCOSE_NOT_A_MEASUREMENT.has(s))) return {};
      return vital('glucose', c.mmolPerL);
    }
    case 'battery_level':
      return { battery: reading.value };
    default:
      return assertNever(reading);
  }
}

function vitalOf<K extends keyof BleVitals>(key: K, n: Ieee11073Number): { [P in K]?: number } {
  return vital(key, readingOf(n));
}

function vital<K extends keyof BleVitals>(key: K, value: number | undefined): { [P in K]?: number } {
  if (value === undefined) return {};
  const out: { [P in K]?: number } = {};
  out[key] = value;
  return out;
}
