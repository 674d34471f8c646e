/**
 * A bounds-checked little-endian reader over a characteristic value. Every read that would pass the
 * end of the buffer returns an error naming the field and its offset instead of throwing; the reader
 * only moves forward on success, so the first failure is the one reported.
 */
import { err, ok, type Result } from '../result.ts';
import { FIELD_LABELS, type BleField } from './fields.ts';
import { decodeFloat, decodeSfloat, type Ieee11073Number } from './ieee11073.ts';

export type BleDecodeError =
  | {
      readonly code: 'truncated';
      readonly field: BleField;
      /** Where the field starts. */
      readonly offset: number;
      /** Bytes the field needs. */
      readonly need: number;
      /** Bytes left from `offset` (fewer than `need`). */
      readonly have: number;
      readonly reason: string;
    }
  | {
      readonly code: 'trailing_bytes';
      /** The first byte after the last field. */
      readonly offset: number;
      /** How many bytes follow it. */
      readonly extra: number;
      readonly reason: string;
    }
  | {
      readonly code: 'out_of_range';
      readonly field: BleField;
      readonly offset: number;
      readonly reason: string;
    };

export type BleDecodeErrorCode = BleDecodeError['code'];

/**
 * The Date Time characteristic (0x2A08) as health measurements embed it, raw: the device's local
 * time without a zone. A 0 year, month or day means "not known"; the values are not
 * range-checked, because a bad clock must not cost the measurement.
 */
export interface DateTime {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
}

export const DATE_TIME_SIZE = 7;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export class ByteReader {
  readonly #view: DataView;
  #offset = 0;

  constructor(bytes: Uint8Array) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get offset(): number {
    return this.#offset;
  }

  get remaining(): number {
    return this.#view.byteLength - this.#offset;
  }

  uint8(field: BleField): Result<number, BleDecodeError> {
    return this.#read(field, 1, (at) => this.#view.getUint8(at));
  }

  uint16(field: BleField): Result<number, BleDecodeError> {
    return this.#read(field, 2, (at) => this.#view.getUint16(at, true));
  }

  uint24(field: BleField): Result<number, BleDecodeError> {
    return this.#read(field, 3, (at) => this.#view.getUint16(at, true) + this.#view.getUint8(at + 2) * 0x10000);
  }

  uint32(field: BleField): Result<number, BleDecodeError> {
    return this.#read(field, 4, (at) => this.#view.getUint32(at, true));
  }

  int16(field: BleField): Result<number, BleDecodeError> {
    return this.#read(field, 2, (at) => this.#view.getInt16(at, true));
  }

  sfloat(field: BleField): Result<Ieee11073Number, BleDecodeError> {
    return this.#read(field, 2, (at) => decodeSfloat(this.#view.getUint16(at, true)));
  }

  float(field: BleField): Result<Ieee11073Number, BleDecodeError> {
    return this.#read(field, 4, (at) => decodeFloat(this.#view.getUint32(at, true)));
  }

  dateTime(field: BleField): Result<DateTime, BleDecodeError> {
    return this.#read(field, DATE_TIME_SIZE, (at) => ({
      year: this.#view.getUint16(at, true),
      month: this.#view.getUint8(at + 2),
      day: this.#view.getUint8(at + 3),
      hours: this.#view.getUint8(at + 4),
      minutes: this.#view.getUint8(at + 5),
      seconds: this.#view.getUint8(at + 6),
    }));
  }

  /**
   * Succeeds when every byte was read. Bytes left over are an error: a layout this codec does not
   * know. `reservedFlags` (flag bits the specification reserves) are named in the reason, because a
   * device setting them most likely follows a newer version that adds the field.
   */
  end(reservedFlags = 0): Result<undefined, BleDecodeError> {
    const length = this.#view.byteLength;
    const offset = this.#offset;
    if (offset === length) return ok(undefined);
    const extra = length - offset;
    const hint =
      reservedFlags === 0
        ? ''
        : `; reserved flag bits 0x${reservedFlags.toString(16).padStart(2, '0')} are set, probably announcing a field of a newer specification`;
    return err({
      code: 'trailing_bytes',
      offset,
      extra,
      reason: `${plural(extra, 'unexpected byte')} after the last field, from offset ${offset} (buffer is ${plural(length, 'byte')})${hint}`,
    });
  }

  #read<T>(field: BleField, size: number, get: (at: number) => T): Result<T, BleDecodeError> {
    const at = this.#offset;
    const length = this.#view.byteLength;
    const have = length - at;
    if (have < size) {
      return err({
        code: 'truncated',
        field,
        offset: at,
        need: size,
        have,
        reason: `buffer ends at byte ${length}; '${FIELD_LABELS[field]}' needs ${plural(size, 'byte')} at offset ${at}`,
      });
    }
    this.#offset = at + size;
    return ok(get(at));
  }
}
