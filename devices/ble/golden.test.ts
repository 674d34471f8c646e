import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHARACTERISTIC_NAMES, decodeCharacteristic, encodeReading, type BleReading } from './gatt.ts';
import { GOLDEN_VECTORS } from './golden.ts';
import { fromHex, toHex } from './hex.ts';
import { expectWellFormedError } from './test-support.ts';

describe('golden vectors', () => {
  it('have unique names per characteristic', () => {
    const keys = GOLDEN_VECTORS.map((v) => `${v.characteristic}: ${v.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('cover every characteristic, with valid and invalid values', () => {
    for (const name of CHARACTERISTIC_NAMES) {
      const vectors = GOLDEN_VECTORS.filter((v) => v.characteristic === name);
      expect(
        vectors.some((v) => v.expected.ok),
        name,
      ).toBe(true);
      expect(
        vectors.some((v) => !v.expected.ok && v.expected.error.code === 'truncated'),
        name,
      ).toBe(true);
      expect(
        vectors.some((v) => !v.expected.ok && v.expected.error.code === 'trailing_bytes'),
        name,
      ).toBe(true);
    }
  });

  describe.each(GOLDEN_VECTORS.map((v) => [`${v.characteristic}: ${v.name}`, v] as const))('%s', (_, vector) => {
    const bytes = fromHex(vector.hex);
    const decoded = decodeCharacteristic(vector.characteristic, bytes);

    if (vector.expected.ok) {
      const expected = { characteristic: vector.characteristic, value: vector.expected.value };
      it('decodes to the expected reading', () => expect(decoded).toEqual({ ok: true, value: expected }));
      it('re-encodes to the same bytes', () => {
        if (decoded.ok) expect(toHex(encodeReading(decoded.value))).toBe(toHex(bytes));
      });
    } else {
      const error = vector.expected.error;
      it(`fails with ${error.code} at offset ${error.offset}`, () => {
        expect(decoded.ok).toBe(false);
        if (!decoded.ok) {
          expect(decoded.error).toMatchObject(error);
          expectWellFormedError(decoded.error, bytes.length);
        }
      });
    }
  });
});

/** The Heart Rate contact bits 0b01 and 0b00 both mean "not supported"; encoders write 0b00. */
function canonical(reading: BleReading, bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  if (reading.characteristic === 'heart_rate_measurement' && copy[0] !== undefined && (copy[0] & 0x06) === 0x02)
    copy[0] &= ~0x02;
  return copy;
}

describe.each(CHARACTERISTIC_NAMES)('%s on arbitrary bytes', (name) => {
  it('never throws; returns a reading that re-encodes to the same bytes, or a well-formed error', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const r = decodeCharacteristic(name, bytes);
        if (r.ok) expect(toHex(encodeReading(r.value))).toBe(toHex(canonical(r.value, bytes)));
        else expectWellFormedError(r.error, bytes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('decodes some arbitrary values (the fuzzing reaches past the error paths)', () => {
    let decoded = 0;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 40 }), (bytes) => {
        if (decodeCharacteristic(name, bytes).ok) decoded++;
      }),
      { numRuns: 500 },
    );
    expect(decoded).toBeGreaterThan(0);
  });
});
