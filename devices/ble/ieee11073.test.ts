import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeFloat,
  decodeSfloat,
  encodeFloat,
  encodeSfloat,
  floatFromValue,
  ieee11073Value,
  readingOf,
  scaleByPowerOfTen,
  sfloatFromValue,
  type Ieee11073Special,
} from './ieee11073.ts';
import { floatArb, sfloatArb } from './test-support.ts';

describe('SFLOAT', () => {
  it.each<[number, Ieee11073Special]>([
    [0x07ff, 'nan'],
    [0x0800, 'nres'],
    [0x07fe, 'positive_infinity'],
    [0x0802, 'negative_infinity'],
    [0x0801, 'reserved'],
  ])('0x%s is %s, not a number', (raw, kind) => {
    expect(decodeSfloat(raw)).toEqual({ kind });
    expect(readingOf(decodeSfloat(raw))).toBeUndefined();
    expect(encodeSfloat({ kind })).toBe(raw);
  });

  it.each([
    [0xf16d, 365, -1, 36.5],
    [0x0078, 120, 0, 120],
    [0xf3a5, 933, -1, 93.3],
    [0xff9c, -100, -1, -10],
    [0x1002, 2, 1, 20],
    [0x77fd, 2045, 7, 20_450_000_000],
    [0x87fd, 2045, -8, 0.00002045],
    [0xb078, 120, -5, 0.0012],
    [0x0000, 0, 0, 0],
    [0x17ff, 2047, 1, 20470],
    [0x1800, -2048, 1, -20480],
  ])('0x%s is mantissa %i, exponent %i: %f', (raw, mantissa, exponent, value) => {
    expect(decodeSfloat(raw)).toEqual({ kind: 'value', mantissa, exponent, value });
    expect(encodeSfloat({ kind: 'value', mantissa, exponent })).toBe(raw);
  });

  it('decodes the decimal number exactly, not a float product', () => {
    expect(readingOf(decodeSfloat(0xf175))).toBe(37.3);
    expect(373 * 0.1).not.toBe(37.3);
    expect(readingOf(decodeSfloat(0xb001))).toBe(0.00001);
    expect(10 ** -5).not.toBe(0.00001);
  });

  it('re-encodes every one of the 65,536 codes to itself', () => {
    const specials: number[] = [];
    const mismatches: number[] = [];
    for (let raw = 0; raw <= 0xffff; raw++) {
      const n = decodeSfloat(raw);
      if (n.kind !== 'value') specials.push(raw);
      if (encodeSfloat(n) !== raw) mismatches.push(raw);
    }
    expect(mismatches).toEqual([]);
    expect(specials).toEqual([0x07fe, 0x07ff, 0x0800, 0x0801, 0x0802]);
  });

  it.each([
    [{ kind: 'value' as const, mantissa: 2048, exponent: 0 }, /mantissa must be an integer from -2048 to 2047/],
    [{ kind: 'value' as const, mantissa: 1.5, exponent: 0 }, /mantissa/],
    [{ kind: 'value' as const, mantissa: 1, exponent: 8 }, /exponent must be an integer from -8 to 7/],
    [{ kind: 'value' as const, mantissa: 2047, exponent: 0 }, /code of nan/],
    [{ kind: 'value' as const, mantissa: -2046, exponent: 0 }, /code of negative_infinity/],
  ])('refuses to encode %o', (n, message) => {
    expect(() => encodeSfloat(n)).toThrow(RangeError);
    expect(() => encodeSfloat(n)).toThrow(message);
  });
});

describe('FLOAT', () => {
  it.each<[number, Ieee11073Special]>([
    [0x007fffff, 'nan'],
    [0x00800000, 'nres'],
    [0x007ffffe, 'positive_infinity'],
    [0x00800002, 'negative_infinity'],
    [0x00800001, 'reserved'],
  ])('0x%s is %s, not a number', (raw, kind) => {
    expect(decodeFloat(raw)).toEqual({ kind });
    expect(encodeFloat({ kind })).toBe(raw);
  });

  it.each([
    [0xff00016d, 365, -1, 36.5],
    [0xff0003da, 986, -1, 98.6],
    [0xfe000e8d, 3725, -2, 37.25],
    [0x00fffc18, -1000, 0, -1000],
    [0x7f000001, 1, 127, 1e127],
    [0x80000001, 1, -128, 1e-128],
    [0x017fffff, 8388607, 1, 83886070],
  ])('0x%s is mantissa %i, exponent %i: %f', (raw, mantissa, exponent, value) => {
    expect(decodeFloat(raw)).toEqual({ kind: 'value', mantissa, exponent, value });
    expect(encodeFloat({ kind: 'value', mantissa, exponent })).toBe(raw);
  });

  it('re-encodes any code to itself', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffffffff }), (raw) => encodeFloat(decodeFloat(raw)) === raw));
  });

  it('decodes what it encodes', () => {
    fc.assert(
      fc.property(floatArb, (n) => {
        expect(decodeFloat(encodeFloat(n))).toMatchObject(n);
      }),
    );
  });
});

describe('SFLOAT decodes what it encodes', () => {
  it('for any number or special code', () => {
    fc.assert(
      fc.property(sfloatArb, (n) => {
        expect(decodeSfloat(encodeSfloat(n))).toMatchObject(n);
      }),
    );
  });
});

describe('encoding a value at a requested precision', () => {
  it.each([
    [36.5, -1, 365],
    [120, 0, 120],
    [93.33, -1, 933],
    [2.5, 0, 3],
    [-2.5, 0, -3],
    [0.0012, -5, 120],
    [20_000, 1, 2000],
    [-0.01, 0, 0],
  ])('%f at exponent %i has mantissa %i', (value, exponent, mantissa) => {
    expect(sfloatFromValue(value, exponent)).toEqual({ ok: true, value: ieee11073Value(mantissa, exponent) });
    expect(floatFromValue(value, exponent)).toEqual({ ok: true, value: ieee11073Value(mantissa, exponent) });
  });

  it.each([
    [204.6, -1, 'does_not_fit'],
    [2046, 0, 'does_not_fit'],
    [-2046, 0, 'does_not_fit'],
    [36.5, 8, 'bad_exponent'],
    [36.5, -0.5, 'bad_exponent'],
    [Number.NaN, 0, 'not_finite'],
    [Number.POSITIVE_INFINITY, 0, 'not_finite'],
  ])('SFLOAT refuses %f at exponent %f: %s', (value, exponent, code) => {
    const r = sfloatFromValue(value, exponent);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.reason).toMatch(/SFLOAT/);
    }
  });

  it('keeps every SFLOAT number of the safe range exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: -2045, max: 2045 }), fc.integer({ min: -8, max: 7 }), (mantissa, exponent) => {
        const r = sfloatFromValue(scaleByPowerOfTen(mantissa, exponent), exponent);
        expect(r).toEqual({ ok: true, value: ieee11073Value(mantissa, exponent) });
      }),
    );
  });

  it('keeps every FLOAT number of the safe range exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -8388605, max: 8388605 }),
        fc.integer({ min: -128, max: 127 }),
        (mantissa, exponent) => {
          const r = floatFromValue(scaleByPowerOfTen(mantissa, exponent), exponent);
          expect(r).toEqual({ ok: true, value: ieee11073Value(mantissa, exponent) });
        },
      ),
    );
  });

  it('FLOAT refuses a mantissa beyond 2^23 - 3', () => {
    expect(floatFromValue(8388606, 0)).toMatchObject({ ok: false, error: { code: 'does_not_fit' } });
    expect(floatFromValue(8388605, 0)).toMatchObject({ ok: true });
  });
});
