import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeGlucoseMeasurement as decode,
  encodeGlucoseMeasurement as encode,
  glucoseSensorStatus,
  type GlucoseMeasurementInput,
} from './glucose.ts';
import { ieee11073Value } from './ieee11073.ts';
import {
  dateTimeArb,
  expectRoundTrips,
  expectTrailingRefused,
  expectTruncatedAtEveryLength,
  flagCombinations,
  sfloatArb,
  uint16Arb,
  type Layout,
} from './test-support.ts';

const TIME_OFFSET = 0x01;
const CONCENTRATION = 0x02;
const MOL_PER_L = 0x04;
const SENSOR_STATUS = 0x08;
const CONTEXT_FOLLOWS = 0x10;
const baseTime = { year: 2025, month: 11, day: 23, hours: 7, minutes: 10, seconds: 0 };

describe.each(
  flagCombinations([TIME_OFFSET, CONCENTRATION, MOL_PER_L, SENSOR_STATUS, CONTEXT_FOLLOWS]).map(
    (f) => [`0x${f.toString(16).padStart(2, '0')}`, f] as const,
  ),
)('flags %s', (_, flags) => {
  const molar = (flags & MOL_PER_L) !== 0;
  const input: GlucoseMeasurementInput = {
    sequenceNumber: 7,
    baseTime,
    ...(flags & TIME_OFFSET ? { timeOffsetMinutes: 90 } : {}),
    units: molar ? 'mol/L' : 'kg/L',
    ...(flags & CONCENTRATION
      ? {
          concentration: {
            value: molar ? ieee11073Value(56, -4) : ieee11073Value(120, -5),
            type: { code: 1 },
            sampleLocation: { code: 1 },
          },
        }
      : {}),
    ...(flags & SENSOR_STATUS ? { sensorStatus: { raw: 0x0800 } } : {}),
    contextFollows: (flags & CONTEXT_FOLLOWS) !== 0,
  };
  const layout: Layout = [
    ['flags', 1],
    ['sequence_number', 2],
    ['base_time', 7],
    ...(flags & TIME_OFFSET ? [['time_offset', 2] as const] : []),
    ...(flags & CONCENTRATION ? [['glucose_concentration', 2] as const, ['type_sample_location', 1] as const] : []),
    ...(flags & SENSOR_STATUS ? [['sensor_status_annunciation', 2] as const] : []),
  ];
  const bytes = encode(input);

  it('encodes the flags and decodes back, in mg/dL and mmol/L', () => {
    expect(bytes[0]).toBe(flags);
    const clinical = molar ? { mgPerDl: 100.8896, mmolPerL: 5.6 } : { mgPerDl: 120, mmolPerL: 6.66074600355 };
    expect(decode(bytes)).toEqual({
      ok: true,
      value: {
        ...input,
        ...(input.concentration
          ? {
              concentration: {
                ...input.concentration,
                ...clinical,
                type: { code: 1, name: 'capillary_whole_blood' },
                sampleLocation: { code: 1, name: 'finger' },
              },
            }
          : {}),
        ...(flags & SENSOR_STATUS ? { sensorStatus: { raw: 0x0800, set: ['time_fault'], reserved: 0 } } : {}),
        reservedFlags: 0,
      },
    });
  });
  it('reports the field cut at every shorter length', () => expectTruncatedAtEveryLength(decode, bytes, layout));
  it('refuses trailing bytes', () => expectTrailingRefused(decode, bytes));
});

describe('glucose measurement', () => {
  const base = { sequenceNumber: 1, baseTime, units: 'kg/L' as const };

  it.each([
    [0x0, 'unknown'],
    [0x1, 'capillary_whole_blood'],
    [0x2, 'capillary_plasma'],
    [0x3, 'venous_whole_blood'],
    [0x4, 'venous_plasma'],
    [0x5, 'arterial_whole_blood'],
    [0x6, 'arterial_plasma'],
    [0x7, 'undetermined_whole_blood'],
    [0x8, 'undetermined_plasma'],
    [0x9, 'interstitial_fluid'],
    [0xa, 'control_solution'],
    [0xb, 'unknown'],
    [0xf, 'unknown'],
  ])('type %i is %s', (code, name) => {
    const r = decode(
      encode({
        ...base,
        concentration: { value: ieee11073Value(100, -5), type: { code }, sampleLocation: { code: 1 } },
      }),
    );
    expect(r).toMatchObject({ ok: true, value: { concentration: { type: { code, name } } } });
  });

  it.each([
    [0x0, 'unknown'],
    [0x1, 'finger'],
    [0x2, 'alternate_site_test'],
    [0x3, 'earlobe'],
    [0x4, 'control_solution'],
    [0x5, 'unknown'],
    [0xe, 'unknown'],
    [0xf, 'not_available'],
  ])('sample location %i is %s (high nibble)', (code, name) => {
    const bytes = encode({
      ...base,
      concentration: { value: ieee11073Value(100, -5), type: { code: 1 }, sampleLocation: { code } },
    });
    expect(bytes[12]).toBe((code << 4) | 1);
    expect(decode(bytes)).toMatchObject({ ok: true, value: { concentration: { sampleLocation: { code, name } } } });
  });

  it.each([
    [ieee11073Value(72, -5), 72, 3.99644760213],
    [ieee11073Value(400, -5), 400, 22.2024866785],
    [ieee11073Value(12, -4), 120, 6.66074600355],
  ])('kg/L %o is %f mg/dL and %f mmol/L', (value, mgPerDl, mmolPerL) => {
    const r = decode(encode({ ...base, concentration: { value, type: { code: 1 }, sampleLocation: { code: 1 } } }));
    expect(r).toMatchObject({ ok: true, value: { concentration: { mgPerDl, mmolPerL } } });
  });

  it('keeps the signed time offset', () => {
    for (const minutes of [-32768, -1, 0, 32767]) {
      expect(decode(encode({ ...base, timeOffsetMinutes: minutes }))).toMatchObject({
        ok: true,
        value: { timeOffsetMinutes: minutes },
      });
    }
  });

  it('names the twelve sensor status bits and keeps 12-15 as reserved', () => {
    const all = glucoseSensorStatus(0xffff);
    expect(all.set).toHaveLength(12);
    expect(all.reserved).toBe(0xf000);
  });

  it('refuses to encode a type or location above 15', () => {
    expect(() =>
      encode({
        ...base,
        concentration: { value: ieee11073Value(1, 0), type: { code: 16 }, sampleLocation: { code: 1 } },
      }),
    ).toThrow(RangeError);
    expect(() =>
      encode({
        ...base,
        concentration: { value: ieee11073Value(1, 0), type: { code: 1 }, sampleLocation: { code: -1 } },
      }),
    ).toThrow(RangeError);
  });

  it('round-trips any measurement', () => {
    const nibble = fc.record({ code: fc.integer({ min: 0, max: 15 }) }, { noNullPrototype: true });
    const arb: fc.Arbitrary<GlucoseMeasurementInput> = fc.record(
      {
        sequenceNumber: uint16Arb,
        baseTime: dateTimeArb,
        timeOffsetMinutes: fc.integer({ min: -32768, max: 32767 }),
        units: fc.constantFrom('kg/L' as const, 'mol/L' as const),
        concentration: fc.record({ value: sfloatArb, type: nibble, sampleLocation: nibble }, { noNullPrototype: true }),
        sensorStatus: fc.record({ raw: uint16Arb }, { noNullPrototype: true }),
        contextFollows: fc.boolean(),
        reservedFlags: fc.constantFrom(0, 0x20, 0x40, 0x80, 0xe0),
      },
      { requiredKeys: ['sequenceNumber', 'baseTime', 'units', 'contextFollows'], noNullPrototype: true },
    );
    expectRoundTrips(arb, encode, decode);
  });
});
