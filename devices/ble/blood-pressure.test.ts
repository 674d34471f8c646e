import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bloodPressureStatus,
  decodeBloodPressureMeasurement as decode,
  encodeBloodPressureMeasurement as encode,
  type BloodPressureMeasurementInput,
} from './blood-pressure.ts';
import { fromHex } from './hex.ts';
import { ieee11073Value } from './ieee11073.ts';
import {
  dateTimeArb,
  expectRoundTrips,
  expectTrailingRefused,
  expectTruncatedAtEveryLength,
  flagCombinations,
  sfloatArb,
  type Layout,
} from './test-support.ts';

const KPA = 0x01;
const TIMESTAMP = 0x02;
const PULSE_RATE = 0x04;
const USER_ID = 0x08;
const STATUS = 0x10;
const timestamp = { year: 2025, month: 11, day: 23, hours: 8, minutes: 15, seconds: 0 };

describe.each(
  flagCombinations([KPA, TIMESTAMP, PULSE_RATE, USER_ID, STATUS]).map(
    (f) => [`0x${f.toString(16).padStart(2, '0')}`, f] as const,
  ),
)('flags %s', (_, flags) => {
  const kpa = (flags & KPA) !== 0;
  const input: BloodPressureMeasurementInput = {
    unit: kpa ? 'kPa' : 'mmHg',
    systolic: kpa ? ieee11073Value(160, -1) : ieee11073Value(120, 0),
    diastolic: kpa ? ieee11073Value(107, -1) : ieee11073Value(80, 0),
    meanArterialPressure: { kind: 'nan' },
    ...(flags & TIMESTAMP ? { timestamp } : {}),
    ...(flags & PULSE_RATE ? { pulseRate: ieee11073Value(68, 0) } : {}),
    ...(flags & USER_ID ? { userId: 3 } : {}),
    ...(flags & STATUS ? { measurementStatus: { raw: 0x0012 } } : {}),
  };
  const layout: Layout = [
    ['flags', 1],
    ['systolic', 2],
    ['diastolic', 2],
    ['mean_arterial_pressure', 2],
    ...(flags & TIMESTAMP ? [['timestamp', 7] as const] : []),
    ...(flags & PULSE_RATE ? [['pulse_rate', 2] as const] : []),
    ...(flags & USER_ID ? [['user_id', 1] as const] : []),
    ...(flags & STATUS ? [['measurement_status', 2] as const] : []),
  ];
  const bytes = encode(input);

  it('encodes the flags and decodes back, with mmHg always', () => {
    expect(bytes[0]).toBe(flags);
    expect(decode(bytes)).toEqual({
      ok: true,
      value: {
        ...input,
        mmHg: kpa ? { systolic: 120.00992, diastolic: 80.256634 } : { systolic: 120, diastolic: 80 },
        ...(flags & STATUS
          ? {
              measurementStatus: {
                raw: 0x12,
                set: ['cuff_too_loose'],
                reserved: 0,
                pulseRateRange: 'below_lower_limit',
              },
            }
          : {}),
        reservedFlags: 0,
      },
    });
  });
  it('reports the field cut at every shorter length', () => expectTruncatedAtEveryLength(decode, bytes, layout));
  it('refuses trailing bytes', () => expectTrailingRefused(decode, bytes));
});

describe('blood pressure measurement', () => {
  it.each([
    [0x0000, [], 'within_range', 0],
    [0x0001, ['body_movement'], 'within_range', 0],
    [0x0002, ['cuff_too_loose'], 'within_range', 0],
    [0x0004, ['irregular_pulse'], 'within_range', 0],
    [0x0008, [], 'above_upper_limit', 0],
    [0x0010, [], 'below_lower_limit', 0],
    [0x0018, [], 'reserved', 0],
    [0x0020, ['improper_position'], 'within_range', 0],
    [0xffc0, [], 'within_range', 0xffc0],
  ])('status 0x%s: %o, pulse rate %s, reserved 0x%s', (raw, set, range, reserved) => {
    expect(bloodPressureStatus(raw)).toEqual({ raw, set, reserved, pulseRateRange: range });
  });

  it('keeps 0.1 mmHg precision and the raw mantissa', () => {
    const r = decode(fromHex('00 B3 F4 25 F3 A5 F3'));
    expect(r).toMatchObject({
      ok: true,
      value: {
        systolic: { mantissa: 1203, exponent: -1, value: 120.3 },
        mmHg: { systolic: 120.3, diastolic: 80.5, meanArterialPressure: 93.3 },
      },
    });
  });

  it('gives no mmHg for values the cuff did not measure', () => {
    const r = decode(fromHex('01 FF 07 00 08 FE 07'));
    expect(r).toMatchObject({
      ok: true,
      value: {
        unit: 'kPa',
        systolic: { kind: 'nan' },
        diastolic: { kind: 'nres' },
        meanArterialPressure: { kind: 'positive_infinity' },
        mmHg: {},
      },
    });
  });

  it('round-trips any measurement', () => {
    const arb: fc.Arbitrary<BloodPressureMeasurementInput> = fc.record(
      {
        unit: fc.constantFrom('mmHg' as const, 'kPa' as const),
        systolic: sfloatArb,
        diastolic: sfloatArb,
        meanArterialPressure: sfloatArb,
        timestamp: dateTimeArb,
        pulseRate: sfloatArb,
        userId: fc.integer({ min: 0, max: 0xff }),
        measurementStatus: fc.record({ raw: fc.integer({ min: 0, max: 0xffff }) }, { noNullPrototype: true }),
        reservedFlags: fc.constantFrom(0, 0x20, 0x40, 0x80, 0xe0),
      },
      { requiredKeys: ['unit', 'systolic', 'diastolic', 'meanArterialPressure'], noNullPrototype: true },
    );
    expectRoundTrips(arb, encode, decode);
  });
});
