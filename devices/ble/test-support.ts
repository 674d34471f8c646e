/**
 * Shared by the codec tests (not part of the public surface): fast-check arbitraries for wire values
 * and the checks every codec passes (truncation at every length, trailing bytes, well-formed errors).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import type { Result } from '../result.ts';
import { FIELD_LABELS, type BleField } from './fields.ts';
import type { Ieee11073Special, Ieee11073Wire } from './ieee11073.ts';
import type { BleDecodeError, DateTime } from './reader.ts';

export type Decoder = (bytes: Uint8Array) => Result<unknown, BleDecodeError>;

/** A field layout as the specification lists it: field name and size in bytes, in order. */
export type Layout = readonly (readonly [BleField, number])[];

const SPECIALS: readonly Ieee11073Special[] = ['nan', 'nres', 'positive_infinity', 'negative_infinity', 'reserved'];

function ieee11073Arb(mantissaBits: number, exponentMin: number, exponentMax: number): fc.Arbitrary<Ieee11073Wire> {
  const max = 2 ** (mantissaBits - 1) - 1;
  const specialMantissas = [max, max - 1, -max - 1, -max, -max + 1];
  const value = fc
    .record(
      {
        kind: fc.constant('value' as const),
        mantissa: fc.integer({ min: -max - 1, max }),
        exponent: fc.integer({ min: exponentMin, max: exponentMax }),
      },
      { noNullPrototype: true },
    )
    .filter((v) => !(v.exponent === 0 && specialMantissas.includes(v.mantissa)));
  return fc.oneof(
    value,
    fc.constantFrom(...SPECIALS).map((kind) => ({ kind })),
  );
}

export const sfloatArb = ieee11073Arb(12, -8, 7);
export const floatArb = ieee11073Arb(24, -128, 127);

const byte = fc.integer({ min: 0, max: 0xff });
export const uint16Arb = fc.integer({ min: 0, max: 0xffff });

/** Any 7 bytes: a Date Time is carried raw, not range-checked. */
export const dateTimeArb: fc.Arbitrary<DateTime> = fc.record(
  { year: uint16Arb, month: byte, day: byte, hours: byte, minutes: byte, seconds: byte },
  { noNullPrototype: true },
);

/** Every subset of `bits` (the flag bits that announce fields), as flag values. */
export function flagCombinations(bits: readonly number[]): number[] {
  return Array.from({ length: 2 ** bits.length }, (_, i) =>
    bits.reduce((flags, bit, j) => (i & (1 << j) ? flags | bit : flags), 0),
  );
}

/** Cutting a valid value at every shorter length reports the field being cut, at its offset. */
export function expectTruncatedAtEveryLength(decode: Decoder, bytes: Uint8Array, layout: Layout): void {
  expect(layout.reduce((sum, [, size]) => sum + size, 0)).toBe(bytes.length);
  let start = 0;
  for (const [field, size] of layout) {
    for (let length = start; length < start + size; length++) {
      const r = decode(bytes.slice(0, length));
      expect(r).toEqual({
        ok: false,
        error: {
          code: 'truncated',
          field,
          offset: start,
          need: size,
          have: length - start,
          reason: `buffer ends at byte ${length}; '${FIELD_LABELS[field]}' needs ${size} byte${size === 1 ? '' : 's'} at offset ${start}`,
        },
      });
    }
    start += size;
  }
}

/** A valid value followed by 1 to 3 more bytes is refused at the end of the last field. */
export function expectTrailingRefused(decode: Decoder, bytes: Uint8Array): void {
  for (const extra of [1, 2, 3]) {
    const longer = new Uint8Array(bytes.length + extra).fill(0xa5);
    longer.set(bytes);
    const r = decode(longer);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'trailing_bytes', offset: bytes.length, extra });
  }
}

/** An error's fields are consistent with the buffer it came from. */
export function expectWellFormedError(error: BleDecodeError, length: number): void {
  expect(error.reason.length).toBeGreaterThan(0);
  expect(Number.isInteger(error.offset)).toBe(true);
  switch (error.code) {
    case 'truncated':
      expect(error.field in FIELD_LABELS).toBe(true);
      expect(error.have).toBe(length - error.offset);
      expect(error.need).toBeGreaterThan(error.have);
      expect(error.have).toBeGreaterThanOrEqual(0);
      break;
    case 'trailing_bytes':
      expect(error.offset).toBeLessThan(length);
      expect(error.extra).toBe(length - error.offset);
      break;
    case 'out_of_range':
      expect(error.field in FIELD_LABELS).toBe(true);
      expect(error.offset).toBeLessThan(length);
      break;
    default:
      throw new Error(`unexpected error ${JSON.stringify(error)}`);
  }
}

/**
 * decode(encode(x)) gives x back (the decoded value may add derived fields, such as a unit
 * conversion), and the decoded value is itself a fixed point: it encodes and decodes to itself.
 */
export function expectRoundTrips<I extends object, D extends I>(
  arb: fc.Arbitrary<I>,
  encode: (x: I) => Uint8Array,
  decode: (bytes: Uint8Array) => Result<D, BleDecodeError>,
): void {
  fc.assert(
    fc.property(arb, (input) => {
      const once = decode(encode(input));
      expect(once.ok).toBe(true);
      if (!once.ok) return;
      expect(once.value).toMatchObject(input);
      expect(decode(encode(once.value))).toEqual(once);
    }),
    { numRuns: 500 },
  );
}
