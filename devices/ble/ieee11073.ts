/**
 * IEEE 11073-20601 floating-point types as Bluetooth health profiles carry them (GATT Specification
 * Supplement, "SFLOAT" and "FLOAT"): a signed base-10 exponent and a signed mantissa in one little-endian integer.
 *
 * SFLOAT: 16 bits, exponent bits 15-12 (-8..7), mantissa bits 11-0 (-2048..2047).
 * FLOAT:  32 bits, exponent bits 31-24 (-128..127), mantissa bits 23-0 (-2^23..2^23-1).
 *
 * Five codes, all with exponent 0, are not numbers but "no reading": NaN, NRes (not at this
 * resolution), ±INFINITY and one reserved code. They decode to a kind without a value, so no caller
 * can mistake them for a measurement.
 */
import { err, ok, type Result } from '../result.ts';
import { assertNever } from './assert-never.ts';

export type Ieee11073Special = 'nan' | 'nres' | 'positive_infinity' | 'negative_infinity' | 'reserved';

/** A reading, with the device's own precision kept: value = mantissa × 10^exponent. */
export interface Ieee11073Value {
  readonly kind: 'value';
  readonly mantissa: number;
  readonly exponent: number;
  readonly value: number;
}

export type Ieee11073Number = Ieee11073Value | { readonly kind: Ieee11073Special };

/** What an encoder needs: a decoded number is one (its `value` is ignored). */
export type Ieee11073Wire =
  | { readonly kind: 'value'; readonly mantissa: number; readonly exponent: number }
  | { readonly kind: Ieee11073Special };

export interface Ieee11073Error {
  readonly code: 'not_finite' | 'bad_exponent' | 'does_not_fit';
  readonly reason: string;
}

interface Format {
  readonly name: 'SFLOAT' | 'FLOAT';
  readonly mantissaBits: number;
  readonly exponentBits: number;
  readonly exponentMin: number;
  readonly exponentMax: number;
}

const SFLOAT: Format = { name: 'SFLOAT', mantissaBits: 12, exponentBits: 4, exponentMin: -8, exponentMax: 7 };
const FLOAT: Format = { name: 'FLOAT', mantissaBits: 24, exponentBits: 8, exponentMin: -128, exponentMax: 127 };

/** The special codes (with exponent 0) sit at the ends of the mantissa range: max, max - 1, min, min + 1, min + 2. */
function specialOf(format: Format, mantissa: number): Ieee11073Special | undefined {
  const max = 2 ** (format.mantissaBits - 1) - 1;
  switch (mantissa) {
    case max:
      return 'nan';
    case max - 1:
      return 'positive_infinity';
    case -max - 1:
      return 'nres';
    case -max:
      return 'reserved';
    case -max + 1:
      return 'negative_infinity';
    default:
      return undefined;
  }
}

function mantissaOfSpecial(format: Format, kind: Ieee11073Special): number {
  const max = 2 ** (format.mantissaBits - 1) - 1;
  switch (kind) {
    case 'nan':
      return max;
    case 'positive_infinity':
      return max - 1;
    case 'nres':
      return -max - 1;
    case 'reserved':
      return -max;
    case 'negative_infinity':
      return -max + 1;
    default:
      return assertNever(kind);
  }
}

/**
 * value × 10^exponent, decimally: the double nearest to the decimal number, so 373 and -1 give
 * exactly 37.3. Multiplying by 0.1 would give 37.300000000000004, and `10 ** n` is not correctly
 * rounded for every n (in V8, 10 ** -5 !== 1e-5); parsing the decimal literal is correctly rounded.
 */
export function scaleByPowerOfTen(value: number, exponent: number): number {
  const [digits = '0', power = '0'] = String(value).split('e');
  return Number(`${digits}e${Number(power) + exponent}`);
}

export function ieee11073Value(mantissa: number, exponent: number): Ieee11073Value {
  return { kind: 'value', mantissa, exponent, value: scaleByPowerOfTen(mantissa, exponent) };
}

function decode(format: Format, raw: number): Ieee11073Number {
  const { mantissaBits: bits, exponentBits } = format;
  const mantissaRaw = raw % 2 ** bits;
  const exponentRaw = Math.floor(raw / 2 ** bits) % 2 ** exponentBits;
  const mantissa = mantissaRaw >= 2 ** (bits - 1) ? mantissaRaw - 2 ** bits : mantissaRaw;
  const exponent = exponentRaw >= 2 ** (exponentBits - 1) ? exponentRaw - 2 ** exponentBits : exponentRaw;
  const special = exponent === 0 ? specialOf(format, mantissa) : undefined;
  return special ? { kind: special } : ieee11073Value(mantissa, exponent);
}

function encode(format: Format, n: Ieee11073Wire): number {
  const bits = format.mantissaBits;
  if (n.kind !== 'value') return mantissaOfSpecial(format, n.kind) & (2 ** bits - 1);
  const { mantissa, exponent } = n;
  if (!Number.isInteger(exponent) || exponent < format.exponentMin || exponent > format.exponentMax) {
    throw new RangeError(
      `${format.name} exponent must be an integer from ${format.exponentMin} to ${format.exponentMax}, got ${exponent}`,
    );
  }
  const max = 2 ** (bits - 1) - 1;
  if (!Number.isInteger(mantissa) || mantissa < -max - 1 || mantissa > max) {
    throw new RangeError(`${format.name} mantissa must be an integer from ${-max - 1} to ${max}, got ${mantissa}`);
  }
  if (exponent === 0 && specialOf(format, mantissa)) {
    throw new RangeError(
      `${format.name} mantissa ${mantissa} with exponent 0 is the code of ${specialOf(format, mantissa)}, not a number`,
    );
  }
  const e = exponent < 0 ? exponent + 2 ** format.exponentBits : exponent;
  const m = mantissa < 0 ? mantissa + 2 ** bits : mantissa;
  return e * 2 ** bits + m;
}

/**
 * Chooses the mantissa for `value` at the precision 10^exponent, rounding half away from zero. The
 * mantissa stays within the range that every decoder reads as a number (the codes next to the
 * special values are avoided at every exponent).
 */
function fromValue(format: Format, value: number, exponent: number): Result<Ieee11073Value, Ieee11073Error> {
  if (!Number.isFinite(value))
    return err({ code: 'not_finite', reason: `${format.name} cannot carry ${value} as a number; use a special value` });
  if (!Number.isInteger(exponent) || exponent < format.exponentMin || exponent > format.exponentMax) {
    return err({
      code: 'bad_exponent',
      reason: `${format.name} exponent must be an integer from ${format.exponentMin} to ${format.exponentMax}, got ${exponent}`,
    });
  }
  const scaled = scaleByPowerOfTen(value, -exponent);
  const mantissa = Math.sign(scaled) * Math.round(Math.abs(scaled)) || 0;
  const limit = 2 ** (format.mantissaBits - 1) - 3;
  if (Math.abs(mantissa) > limit) {
    return err({
      code: 'does_not_fit',
      reason: `${value} at exponent ${exponent} needs mantissa ${mantissa}; ${format.name} holds -${limit} to ${limit}`,
    });
  }
  return ok(ieee11073Value(mantissa, exponent));
}

/** Decodes a 16-bit SFLOAT (the integer read little-endian from the wire). */
export function decodeSfloat(raw: number): Ieee11073Number {
  return decode(SFLOAT, raw & 0xffff);
}

/** Decodes a 32-bit FLOAT (the integer read little-endian from the wire). */
export function decodeFloat(raw: number): Ieee11073Number {
  return decode(FLOAT, raw >>> 0);
}

/** The 16-bit integer for an SFLOAT. Throws RangeError when the mantissa or exponent does not fit. */
export function encodeSfloat(n: Ieee11073Wire): number {
  return encode(SFLOAT, n);
}

/** The 32-bit integer for a FLOAT. Throws RangeError when the mantissa or exponent does not fit. */
export function encodeFloat(n: Ieee11073Wire): number {
  return encode(FLOAT, n);
}

/** `value` as an SFLOAT at precision 10^exponent (e.g. 36.5, -1 → mantissa 365). */
export function sfloatFromValue(value: number, exponent: number): Result<Ieee11073Value, Ieee11073Error> {
  return fromValue(SFLOAT, value, exponent);
}

/** `value` as a FLOAT at precision 10^exponent. */
export function floatFromValue(value: number, exponent: number): Result<Ieee11073Value, Ieee11073Error> {
  return fromValue(FLOAT, value, exponent);
}

/** The number a reading carries, or undefined for the "no reading" codes. */
export function readingOf(n: Ieee11073Number): number | undefined {
  return n.kind === 'value' ? n.value : undefined;
}
