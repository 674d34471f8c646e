import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromHex } from './hex.ts';
import {
  dateTimeArb,
  expectRoundTrips,
  expectTrailingRefused,
  expectTruncatedAtEveryLength,
  flagCombinations,
  uint16Arb,
  type Layout,
} from './test-support.ts';
import {
  decodeWeightMeasurement as decode,
  encodeWeightMeasurement as encode,
  type WeightMeasurementInput,
} from './weight.ts';

const IMPERIAL = 0x01;
const TIMESTAMP = 0x02;
const USER_ID = 0x04;
const BMI_AND_HEIGHT = 0x08;
const timestamp = { year: 2025, month: 11, day: 23, hours: 6, minutes: 0, seconds: 0 };

describe.each(
  flagCombinations([IMPERIAL, TIMESTAMP, USER_ID, BMI_AND_HEIGHT]).map(
    (f) => [`0x${f.toString(16).padStart(2, '0')}`, f] as const,
  ),
)('flags %s', (_, flags) => {
  const imperial = (flags & IMPERIAL) !== 0;
  const input: WeightMeasurementInput = {
    units: imperial ? 'imperial' : 'si',
    weightRaw: imperial ? 15550 : 14100,
    ...(flags & TIMESTAMP ? { timestamp } : {}),
    ...(flags & USER_ID ? { userId: 4 } : {}),
    ...(flags & BMI_AND_HEIGHT ? { bmiAndHeight: { bmiRaw: 234, heightRaw: imperial ? 685 : 1740 } } : {}),
  };
  const layout: Layout = [
    ['flags', 1],
    ['weight', 2],
    ...(flags & TIMESTAMP ? [['timestamp', 7] as const] : []),
    ...(flags & USER_ID ? [['user_id', 1] as const] : []),
    ...(flags & BMI_AND_HEIGHT ? [['bmi', 2] as const, ['height', 2] as const] : []),
  ];
  const bytes = encode(input);

  it('encodes the flags and decodes back, with kg always', () => {
    expect(bytes[0]).toBe(flags);
    expect(decode(bytes)).toEqual({
      ok: true,
      value: {
        ...input,
        ...(imperial ? { weight: 155.5, kg: 70.533613535 } : { weight: 70.5, kg: 70.5 }),
        ...(flags & BMI_AND_HEIGHT
          ? {
              bmiAndHeight: imperial
                ? { bmiRaw: 234, bmi: 23.4, heightRaw: 685, height: 68.5, meters: 1.7399 }
                : { bmiRaw: 234, bmi: 23.4, heightRaw: 1740, height: 1.74, meters: 1.74 },
            }
          : {}),
        reservedFlags: 0,
      },
    });
  });
  it('reports the field cut at every shorter length', () => expectTruncatedAtEveryLength(decode, bytes, layout));
  it('refuses trailing bytes', () => expectTrailingRefused(decode, bytes));
});

describe('weight measurement', () => {
  it.each([
    ['SI', '00 FF FF', 'si'],
    ['imperial', '01 FF FF', 'imperial'],
  ])('0xFFFF is "measurement unsuccessful" (%s): no weight, no kg', (_, hex, units) => {
    expect(decode(fromHex(hex))).toEqual({ ok: true, value: { units, weightRaw: 0xffff, reservedFlags: 0 } });
  });

  it.each([
    [1, 0.005],
    [14001, 70.005],
    [0xfffe, 327.67],
  ])('SI raw %i is %f kg (resolution 0.005 kg)', (weightRaw, kg) => {
    expect(decode(encode({ units: 'si', weightRaw }))).toMatchObject({ ok: true, value: { weight: kg, kg } });
  });

  it.each([
    [1, 0.01, 0.0045359237],
    [22046, 220.46, 99.9989738902],
  ])('imperial raw %i is %f lb, %f kg (resolution 0.01 lb)', (weightRaw, lb, kg) => {
    expect(decode(encode({ units: 'imperial', weightRaw }))).toMatchObject({ ok: true, value: { weight: lb, kg } });
  });

  it('round-trips any measurement', () => {
    const arb: fc.Arbitrary<WeightMeasurementInput> = fc.record(
      {
        units: fc.constantFrom('si' as const, 'imperial' as const),
        weightRaw: uint16Arb,
        timestamp: dateTimeArb,
        userId: fc.integer({ min: 0, max: 0xff }),
        bmiAndHeight: fc.record({ bmiRaw: uint16Arb, heightRaw: uint16Arb }, { noNullPrototype: true }),
        reservedFlags: fc.constantFrom(0, 0x10, 0x80, 0xf0),
      },
      { requiredKeys: ['units', 'weightRaw'], noNullPrototype: true },
    );
    expectRoundTrips(arb, encode, decode);
  });
});
