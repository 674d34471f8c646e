import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ieee11073Value } from './ieee11073.ts';
import {
  decodeTemperatureMeasurement as decode,
  encodeTemperatureMeasurement as encode,
  TEMPERATURE_TYPES,
  type TemperatureMeasurementInput,
} from './temperature.ts';
import {
  dateTimeArb,
  expectRoundTrips,
  expectTrailingRefused,
  expectTruncatedAtEveryLength,
  flagCombinations,
  floatArb,
  type Layout,
} from './test-support.ts';

const FAHRENHEIT = 0x01;
const TIMESTAMP = 0x02;
const TYPE = 0x04;
const timestamp = { year: 2025, month: 11, day: 23, hours: 7, minutes: 45, seconds: 30 };

describe.each(
  flagCombinations([FAHRENHEIT, TIMESTAMP, TYPE]).map((f) => [`0x${f.toString(16).padStart(2, '0')}`, f] as const),
)('flags %s', (_, flags) => {
  const fahrenheit = (flags & FAHRENHEIT) !== 0;
  const input: TemperatureMeasurementInput = {
    unit: fahrenheit ? 'fahrenheit' : 'celsius',
    temperature: fahrenheit ? ieee11073Value(986, -1) : ieee11073Value(365, -1),
    ...(flags & TIMESTAMP ? { timestamp } : {}),
    ...(flags & TYPE ? { temperatureType: { code: 1 } } : {}),
  };
  const layout: Layout = [
    ['flags', 1],
    ['temperature', 4],
    ...(flags & TIMESTAMP ? [['timestamp', 7] as const] : []),
    ...(flags & TYPE ? [['temperature_type', 1] as const] : []),
  ];
  const bytes = encode(input);

  it('encodes the flags and decodes back, with °C always', () => {
    expect(bytes[0]).toBe(flags);
    expect(decode(bytes)).toEqual({
      ok: true,
      value: {
        ...input,
        celsius: fahrenheit ? 37 : 36.5,
        ...(flags & TYPE ? { temperatureType: { code: 1, name: 'armpit' } } : {}),
        reservedFlags: 0,
      },
    });
  });
  it('reports the field cut at every shorter length', () => expectTruncatedAtEveryLength(decode, bytes, layout));
  it('refuses trailing bytes', () => expectTrailingRefused(decode, bytes));
});

describe('temperature measurement', () => {
  it.each([
    [0, 'unknown'],
    [1, 'armpit'],
    [2, 'body'],
    [3, 'ear'],
    [4, 'finger'],
    [5, 'gastrointestinal_tract'],
    [6, 'mouth'],
    [7, 'rectum'],
    [8, 'toe'],
    [9, 'tympanum'],
    [10, 'unknown'],
    [255, 'unknown'],
  ])('temperature type %i is %s', (code, name) => {
    const r = decode(encode({ unit: 'celsius', temperature: ieee11073Value(365, -1), temperatureType: { code } }));
    expect(r).toMatchObject({ ok: true, value: { temperatureType: { code, name } } });
  });

  it('names the nine defined types', () => expect(TEMPERATURE_TYPES.filter((t) => t !== null)).toHaveLength(9));

  it.each([
    [ieee11073Value(320, -1), 0],
    [ieee11073Value(1004, -1), 38],
    [ieee11073Value(-40, 0), -40],
    [ieee11073Value(9860, -2), 37],
  ])('converts %o °F to %f °C', (temperature, celsius) => {
    expect(decode(encode({ unit: 'fahrenheit', temperature }))).toMatchObject({ ok: true, value: { celsius } });
  });

  it('keeps the device precision: 37.25 stays 3725 × 10^-2', () => {
    const r = decode(encode({ unit: 'celsius', temperature: ieee11073Value(3725, -2) }));
    expect(r).toMatchObject({
      ok: true,
      value: { temperature: { mantissa: 3725, exponent: -2, value: 37.25 }, celsius: 37.25 },
    });
  });

  it('round-trips any measurement', () => {
    const arb: fc.Arbitrary<TemperatureMeasurementInput> = fc.record(
      {
        unit: fc.constantFrom('celsius' as const, 'fahrenheit' as const),
        temperature: floatArb,
        timestamp: dateTimeArb,
        temperatureType: fc.record({ code: fc.integer({ min: 0, max: 0xff }) }, { noNullPrototype: true }),
        reservedFlags: fc.constantFrom(0, 0x08, 0x10, 0x80, 0xf8),
      },
      { requiredKeys: ['unit', 'temperature'], noNullPrototype: true },
    );
    expectRoundTrips(arb, encode, decode);
  });
});
