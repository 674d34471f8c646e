/**
 * The encoders' counterpart of ByteReader: little-endian fields appended in order. Encoders serve
 * simulators and tests with values we produce ourselves, so a value that does not fit its field is a
 * programming error and throws a RangeError naming the field.
 */
import { FIELD_LABELS, type BleField } from './fields.ts';
import { encodeFloat, encodeSfloat, type Ieee11073Wire } from './ieee11073.ts';
import type { DateTime } from './reader.ts';

export class ByteWriter {
  readonly #bytes: number[] = [];

  uint8(value: number, field: BleField): this {
    return this.#unsigned(value, 1, field);
  }

  uint16(value: number, field: BleField): this {
    return this.#unsigned(value, 2, field);
  }

  uint24(value: number, field: BleField): this {
    return this.#unsigned(value, 3, field);
  }

  int16(value: number, field: BleField): this {
    checkInteger(value, -0x8000, 0x7fff, field);
    return this.#unsigned(value < 0 ? value + 0x10000 : value, 2, field);
  }

  sfloat(n: Ieee11073Wire, field: BleField): this {
    return this.#unsigned(
      withField(field, () => encodeSfloat(n)),
      2,
      field,
    );
  }

  float(n: Ieee11073Wire, field: BleField): this {
    return this.#unsigned(
      withField(field, () => encodeFloat(n)),
      4,
      field,
    );
  }

  dateTime(t: DateTime, field: BleField): this {
    this.#unsigned(t.year, 2, field);
    for (const part of [t.month, t.day, t.hours, t.minutes, t.seconds]) this.#unsigned(part, 1, field);
    return this;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }

  #unsigned(value: number, size: number, field: BleField): this {
    checkInteger(value, 0, 2 ** (8 * size) - 1, field);
    for (let i = 0; i < size; i++) this.#bytes.push(Math.floor(value / 2 ** (8 * i)) % 256);
    return this;
  }
}

function checkInteger(value: number, min: number, max: number, field: BleField): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`'${FIELD_LABELS[field]}' must be an integer from ${min} to ${max}, got ${value}`);
  }
}

function withField<T>(field: BleField, encode: () => T): T {
  try {
    return encode();
  } catch (e) {
    throw e instanceof RangeError ? new RangeError(`'${FIELD_LABELS[field]}': ${e.message}`) : e;
  }
}

/** Checks that an encoder's `reservedFlags` sets only the bits of `mask` (the reserved flag bits). */
export function reservedOnly(reservedFlags: number | undefined, mask: number): number {
  const value = reservedFlags ?? 0;
  if (!Number.isInteger(value) || (value & ~mask) !== 0) {
    throw new RangeError(`reservedFlags may only set the reserved bits 0x${mask.toString(16)}, got ${value}`);
  }
  return value;
}
