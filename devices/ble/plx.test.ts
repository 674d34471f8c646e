import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ieee11073Value } from './ieee11073.ts';
import {
  decodePlxContinuousMeasurement,
  decodePlxSpotCheckMeasurement,
  encodePlxContinuousMeasurement,
  encodePlxSpotCheckMeasurement,
  plxDeviceAndSensorStatus,
  plxMeasurementStatus,
  type PlxContinuousMeasurementInput,
  type PlxSpotCheckMeasurementInput,
} from './plx.ts';
import {
  dateTimeArb,
  expectRoundTrips,
  expectTrailingRefused,
  expectTruncatedAtEveryLength,
  flagCombinations,
  sfloatArb,
  type Layout,
} from './test-support.ts';

const spo2 = ieee11073Value(97, 0);
const pulseRate = ieee11073Value(72, 0);
const timestamp = { year: 2025, month: 11, day: 23, hours: 14, minutes: 30, seconds: 5 };
const pai = ieee11073Value(25, -1);
const hex = (flags: number) => `0x${flags.toString(16).padStart(2, '0')}`;

describe('PLX spot-check: every flag combination', () => {
  const TIMESTAMP = 0x01;
  const MEASUREMENT_STATUS = 0x02;
  const DEVICE_STATUS = 0x04;
  const PAI = 0x08;
  const CLOCK_NOT_SET = 0x10;

  describe.each(
    flagCombinations([TIMESTAMP, MEASUREMENT_STATUS, DEVICE_STATUS, PAI, CLOCK_NOT_SET]).map(
      (f) => [hex(f), f] as const,
    ),
  )('flags %s', (_, flags) => {
    const expected = {
      spo2,
      pulseRate,
      ...(flags & TIMESTAMP ? { timestamp } : {}),
      ...(flags & MEASUREMENT_STATUS ? { measurementStatus: plxMeasurementStatus(0x0080) } : {}),
      ...(flags & DEVICE_STATUS ? { deviceAndSensorStatus: plxDeviceAndSensorStatus(0x8020) } : {}),
      ...(flags & PAI ? { pulseAmplitudeIndex: pai } : {}),
      reservedFlags: 0,
      deviceClockNotSet: (flags & CLOCK_NOT_SET) !== 0,
    };
    const layout: Layout = [
      ['flags', 1],
      ['spo2', 2],
      ['pulse_rate', 2],
      ...(flags & TIMESTAMP ? [['timestamp', 7] as const] : []),
      ...(flags & MEASUREMENT_STATUS ? [['measurement_status', 2] as const] : []),
      ...(flags & DEVICE_STATUS ? [['device_and_sensor_status', 3] as const] : []),
      ...(flags & PAI ? [['pulse_amplitude_index', 2] as const] : []),
    ];
    const bytes = encodePlxSpotCheckMeasurement(expected);

    it('encodes the flags and decodes back', () => {
      expect(bytes[0]).toBe(flags);
      expect(decodePlxSpotCheckMeasurement(bytes)).toEqual({ ok: true, value: expected });
    });
    it('reports the field cut at every shorter length', () =>
      expectTruncatedAtEveryLength(decodePlxSpotCheckMeasurement, bytes, layout));
    it('refuses trailing bytes', () => expectTrailingRefused(decodePlxSpotCheckMeasurement, bytes));
  });
});

describe('PLX continuous: every flag combination', () => {
  const FAST = 0x01;
  const SLOW = 0x02;
  const MEASUREMENT_STATUS = 0x04;
  const DEVICE_STATUS = 0x08;
  const PAI = 0x10;
  const fast = { spo2: ieee11073Value(96, 0), pulseRate: ieee11073Value(74, 0) };
  const slow = { spo2: { kind: 'nan' as const }, pulseRate: ieee11073Value(715, -1) };

  describe.each(
    flagCombinations([FAST, SLOW, MEASUREMENT_STATUS, DEVICE_STATUS, PAI]).map((f) => [hex(f), f] as const),
  )('flags %s', (_, flags) => {
    const expected = {
      spo2,
      pulseRate,
      ...(flags & FAST ? { fast } : {}),
      ...(flags & SLOW ? { slow } : {}),
      ...(flags & MEASUREMENT_STATUS ? { measurementStatus: plxMeasurementStatus(0x4020) } : {}),
      ...(flags & DEVICE_STATUS ? { deviceAndSensorStatus: plxDeviceAndSensorStatus(0x000001) } : {}),
      ...(flags & PAI ? { pulseAmplitudeIndex: pai } : {}),
      reservedFlags: 0,
    };
    const layout: Layout = [
      ['flags', 1],
      ['spo2', 2],
      ['pulse_rate', 2],
      ...(flags & FAST ? [['spo2_fast', 2] as const, ['pulse_rate_fast', 2] as const] : []),
      ...(flags & SLOW ? [['spo2_slow', 2] as const, ['pulse_rate_slow', 2] as const] : []),
      ...(flags & MEASUREMENT_STATUS ? [['measurement_status', 2] as const] : []),
      ...(flags & DEVICE_STATUS ? [['device_and_sensor_status', 3] as const] : []),
      ...(flags & PAI ? [['pulse_amplitude_index', 2] as const] : []),
    ];
    const bytes = encodePlxContinuousMeasurement(expected);

    it('encodes the flags and decodes back', () => {
      expect(bytes[0]).toBe(flags);
      expect(decodePlxContinuousMeasurement(bytes)).toEqual({ ok: true, value: expected });
    });
    it('reports the field cut at every shorter length', () =>
      expectTruncatedAtEveryLength(decodePlxContinuousMeasurement, bytes, layout));
    it('refuses trailing bytes', () => expectTrailingRefused(decodePlxContinuousMeasurement, bytes));
  });
});

describe('PLX status fields', () => {
  it('name the measurement status bits and keep the reserved ones', () => {
    expect(plxMeasurementStatus(0xffff)).toEqual({
      raw: 0xffff,
      set: [
        'measurement_ongoing',
        'early_estimated_data',
        'validated_data',
        'fully_qualified_data',
        'data_from_measurement_storage',
        'data_for_demonstration',
        'data_for_testing',
        'calibration_ongoing',
        'measurement_unavailable',
        'questionable_measurement_detected',
        'invalid_measurement_detected',
      ],
      reserved: 0x1f,
    });
  });

  it('name the 16 device and sensor status bits and keep bits 16-23 as reserved', () => {
    const all = plxDeviceAndSensorStatus(0xffffff);
    expect(all.set).toHaveLength(16);
    expect(all.set[0]).toBe('extended_display_update_ongoing');
    expect(all.set[15]).toBe('sensor_disconnected');
    expect(all.reserved).toBe(0xff0000);
  });

  it('decode a uint24 status little-endian', () => {
    const r = decodePlxSpotCheckMeasurement(Uint8Array.from([0x04, 0x61, 0x00, 0x48, 0x00, 0x01, 0x08, 0x80]));
    expect(r).toMatchObject({
      ok: true,
      value: {
        deviceAndSensorStatus: {
          raw: 0x800801,
          set: ['extended_display_update_ongoing', 'sensor_unconnected_to_user'],
          reserved: 0x800000,
        },
      },
    });
  });
});

const statusArb = (max: number) => fc.record({ raw: fc.integer({ min: 0, max }) }, { noNullPrototype: true });
const pairArb = fc.record({ spo2: sfloatArb, pulseRate: sfloatArb }, { noNullPrototype: true });
const reservedArb = fc.constantFrom(0, 0x20, 0x40, 0x80, 0xe0);

describe('PLX round trips', () => {
  it('spot-check', () => {
    const arb: fc.Arbitrary<PlxSpotCheckMeasurementInput> = fc.record(
      {
        spo2: sfloatArb,
        pulseRate: sfloatArb,
        timestamp: dateTimeArb,
        measurementStatus: statusArb(0xffff),
        deviceAndSensorStatus: statusArb(0xffffff),
        pulseAmplitudeIndex: sfloatArb,
        deviceClockNotSet: fc.boolean(),
        reservedFlags: reservedArb,
      },
      { requiredKeys: ['spo2', 'pulseRate', 'deviceClockNotSet'], noNullPrototype: true },
    );
    expectRoundTrips(arb, encodePlxSpotCheckMeasurement, decodePlxSpotCheckMeasurement);
  });

  it('continuous', () => {
    const arb: fc.Arbitrary<PlxContinuousMeasurementInput> = fc.record(
      {
        spo2: sfloatArb,
        pulseRate: sfloatArb,
        fast: pairArb,
        slow: pairArb,
        measurementStatus: statusArb(0xffff),
        deviceAndSensorStatus: statusArb(0xffffff),
        pulseAmplitudeIndex: sfloatArb,
        reservedFlags: reservedArb,
      },
      { requiredKeys: ['spo2', 'pulseRate'], noNullPrototype: true },
    );
    expectRoundTrips(arb, encodePlxContinuousMeasurement, decodePlxContinuousMeasurement);
  });

  it('refuses to encode a status wider than its field', () => {
    expect(() => encodePlxSpotCheckMeasurement({ spo2, pulseRate, measurementStatus: { raw: 0x10000 } })).toThrow(
      RangeError,
    );
    expect(() =>
      encodePlxContinuousMeasurement({ spo2, pulseRate, deviceAndSensorStatus: { raw: 0x1000000 } }),
    ).toThrow(RangeError);
  });
});
