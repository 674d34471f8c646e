/**
 * Temperature Measurement, 0x2A1C (Health Thermometer Service 1.0; GATT Specification
 * Supplement).
 *
 *   flags uint8: bit 0 unit (0 °C, 1 °F), bit 1 time stamp, bit 2 temperature type; bits 3-7 reserved
 *   temperature FLOAT (NaN when the device has no value), [time stamp 7], [temperature type uint8]
 */
import { ok, type Result } from '../result.ts';
import { coded, type Coded } from './enumeration.ts';
import { readingOf, type Ieee11073Number, type Ieee11073Wire } from './ieee11073.ts';
import { ByteReader, type BleDecodeError, type DateTime } from './reader.ts';
import { fahrenheitToCelsius } from './units.ts';
import { ByteWriter, reservedOnly } from './writer.ts';

/** Temperature Type (characteristic 0x2A1D) by code; 0 and 10-255 are reserved. */
export const TEMPERATURE_TYPES = [
  null,
  'armpit',
  'body',
  'ear',
  'finger',
  'gastrointestinal_tract',
  'mouth',
  'rectum',
  'toe',
  'tympanum',
] as const;
export type TemperatureType = Coded<NonNullable<(typeof TEMPERATURE_TYPES)[number]>>;

export type TemperatureUnit = 'celsius' | 'fahrenheit';

export interface TemperatureMeasurement {
  readonly unit: TemperatureUnit;
  /** As sent, in `unit`. */
  readonly temperature: Ieee11073Number;
  /** In °C (converted from °F if need be); absent when no reading. */
  readonly celsius?: number;
  readonly timestamp?: DateTime;
  readonly temperatureType?: TemperatureType;
  readonly reservedFlags: number;
}

export interface TemperatureMeasurementInput {
  readonly unit: TemperatureUnit;
  readonly temperature: Ieee11073Wire;
  readonly timestamp?: DateTime;
  readonly temperatureType?: { readonly code: number };
  readonly reservedFlags?: number;
}

const FAHRENHEIT = 0x01;
const TIMESTAMP = 0x02;
const TYPE = 0x04;
const RESERVED_FLAGS = 0xf8;

export function decodeTemperatureMeasurement(bytes: Uint8Array): Result<TemperatureMeasurement, BleDecodeError> {
  const r = new ByteReader(bytes);
  const flags = r.uint8('flags');
  if (!flags.ok) return flags;
  const f = flags.value;
  const unit: TemperatureUnit = f & FAHRENHEIT ? 'fahrenheit' : 'celsius';
  const temperature = r.float('temperature');
  if (!temperature.ok) return temperature;
  let timestamp: DateTime | undefined;
  if (f & TIMESTAMP) {
    const t = r.dateTime('timestamp');
    if (!t.ok) return t;
    timestamp = t.value;
  }
  let temperatureType: TemperatureType | undefined;
  if (f & TYPE) {
    const t = r.uint8('temperature_type');
    if (!t.ok) return t;
    temperatureType = coded(TEMPERATURE_TYPES, t.value);
  }
  const end = r.end(f & RESERVED_FLAGS);
  if (!end.ok) return end;
  const value = readingOf(temperature.value);
  const celsius = value === undefined || unit === 'celsius' ? value : fahrenheitToCelsius(value);
  return ok({
    unit,
    temperature: temperature.value,
    ...(celsius === undefined ? {} : { celsius }),
    ...(timestamp ? { timestamp } : {}),
    ...(temperatureType ? { temperatureType } : {}),
    reservedFlags: f & RESERVED_FLAGS,
  });
}

/** Throws RangeError when a value does not fit its field. */
export function encodeTemperatureMeasurement(m: TemperatureMeasurementInput): Uint8Array {
  const flags =
    (m.unit === 'fahrenheit' ? FAHRENHEIT : 0) |
    (m.timestamp ? TIMESTAMP : 0) |
    (m.temperatureType ? TYPE : 0) |
    reservedOnly(m.reservedFlags, RESERVED_FLAGS);
  const w = new ByteWriter().uint8(flags, 'flags').float(m.temperature, 'temperature');
  if (m.timestamp) w.dateTime(m.timestamp, 'timestamp');
  if (m.temperatureType) w.uint8(m.temperatureType.code, 'temperature_type');
  return w.toBytes();
}
