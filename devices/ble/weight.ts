/**
 * Weight Measurement, 0x2A9D (Weight Scale Service 1.0; GATT Specification Supplement).
 *
 *   flags uint8: bit 0 units (0 SI: kg and m, 1 imperial: lb and in), bit 1 time stamp,
 *                bit 2 user ID, bit 3 BMI and height; bits 4-7 reserved
 *   weight uint16 (SI 0.005 kg, imperial 0.01 lb; 0xFFFF "measurement unsuccessful"),
 *   [time stamp 7], [user ID uint8, 0xFF unknown user],
 *   [BMI uint16 (0.1 kg/m²), height uint16 (SI 0.001 m, imperial 0.1 in)]
 */
import { ok, type Result } from '../result.ts';
import { ByteReader, type BleDecodeError, type DateTime } from './reader.ts';
import { inchToM, lbToKg } from './units.ts';
import { ByteWriter, reservedOnly } from './writer.ts';

export type WeightUnits = 'si' | 'imperial';

/** The weight field's code for a failed measurement. */
export const WEIGHT_UNSUCCESSFUL = 0xffff;

export interface BmiAndHeight {
  /** In 0.1 kg/m², as sent. */
  readonly bmiRaw: number;
  /** kg/m² */
  readonly bmi: number;
  /** In 0.001 m (SI) or 0.1 in (imperial), as sent. */
  readonly heightRaw: number;
  /** In m (SI) or in (imperial). */
  readonly height: number;
  readonly meters: number;
}

export interface WeightMeasurement {
  readonly units: WeightUnits;
  /** In 0.005 kg (SI) or 0.01 lb (imperial), as sent; 0xFFFF: measurement unsuccessful. */
  readonly weightRaw: number;
  /** In kg (SI) or lb (imperial); absent when the measurement was unsuccessful. */
  readonly weight?: number;
  /** Absent when the measurement was unsuccessful. */
  readonly kg?: number;
  readonly timestamp?: DateTime;
  /** 0xFF: unknown user. */
  readonly userId?: number;
  readonly bmiAndHeight?: BmiAndHeight;
  readonly reservedFlags: number;
}

export interface WeightMeasurementInput {
  readonly units: WeightUnits;
  readonly weightRaw: number;
  readonly timestamp?: DateTime;
  readonly userId?: number;
  readonly bmiAndHeight?: { readonly bmiRaw: number; readonly heightRaw: number };
  readonly reservedFlags?: number;
}

const IMPERIAL = 0x01;
const TIMESTAMP = 0x02;
const USER_ID = 0x04;
const BMI_AND_HEIGHT = 0x08;
const RESERVED_FLAGS = 0xf0;

export function decodeWeightMeasurement(bytes: Uint8Array): Result<WeightMeasurement, BleDecodeError> {
  const r = new ByteReader(bytes);
  const flags = r.uint8('flags');
  if (!flags.ok) return flags;
  const f = flags.value;
  const units: WeightUnits = f & IMPERIAL ? 'imperial' : 'si';
  const weightRaw = r.uint16('weight');
  if (!weightRaw.ok) return weightRaw;
  let timestamp: DateTime | undefined;
  if (f & TIMESTAMP) {
    const t = r.dateTime('timestamp');
    if (!t.ok) return t;
    timestamp = t.value;
  }
  let userId: number | undefined;
  if (f & USER_ID) {
    const u = r.uint8('user_id');
    if (!u.ok) return u;
    userId = u.value;
  }
  let bmiAndHeight: BmiAndHeight | undefined;
  if (f & BMI_AND_HEIGHT) {
    const bmiRaw = r.uint16('bmi');
    if (!bmiRaw.ok) return bmiRaw;
    const heightRaw = r.uint16('height');
    if (!heightRaw.ok) return heightRaw;
    const height = units === 'si' ? heightRaw.value / 1000 : heightRaw.value / 10;
    bmiAndHeight = {
      bmiRaw: bmiRaw.value,
      bmi: bmiRaw.value / 10,
      heightRaw: heightRaw.value,
      height,
      meters: units === 'si' ? height : inchToM(height),
    };
  }
  const end = r.end(f & RESERVED_FLAGS);
  if (!end.ok) return end;
  const successful = weightRaw.value !== WEIGHT_UNSUCCESSFUL;
  const weight = units === 'si' ? (weightRaw.value * 5) / 1000 : weightRaw.value / 100;
  return ok({
    units,
    weightRaw: weightRaw.value,
    ...(successful ? { weight, kg: units === 'si' ? weight : lbToKg(weight) } : {}),
    ...(timestamp ? { timestamp } : {}),
    ...(userId === undefined ? {} : { userId }),
    ...(bmiAndHeight ? { bmiAndHeight } : {}),
    reservedFlags: f & RESERVED_FLAGS,
  });
}

/** Throws RangeError when a value does not fit its field. */
export function encodeWeightMeasurement(m: WeightMeasurementInput): Uint8Array {
  const flags =
    (m.units === 'imperial' ? IMPERIAL : 0) |
    (m.timestamp ? TIMESTAMP : 0) |
    (m.userId === undefined ? 0 : USER_ID) |
    (m.bmiAndHeight ? BMI_AND_HEIGHT : 0) |
    reservedOnly(m.reservedFlags, RESERVED_FLAGS);
  const w = new ByteWriter().uint8(flags, 'flags').uint16(m.weightRaw, 'weight');
  if (m.timestamp) w.dateTime(m.timestamp, 'timestamp');
  if (m.userId !== undefined) w.uint8(m.userId, 'user_id');
  if (m.bmiAndHeight) w.uint16(m.bmiAndHeight.bmiRaw, 'bmi').uint16(m.bmiAndHeight.heightRaw, 'height');
  return w.toBytes();
}
