/**
 * Golden byte vectors for the BLE codecs, shared with the simulators: a characteristic value as hex
 * and what decoding it must give, a reading or an error (code, field, offset). The bytes are written
 * by hand from the field layouts in each codec's header (specification references there), never
 * produced by our encoders; "SmartGattLib" marks a vector taken from another implementation's tests.
 * Every valid vector also re-encodes to the same bytes.
 */
import type { BleField } from './fields.ts';
import type { CharacteristicName, DecodedCharacteristics } from './gatt.ts';
import type { Ieee11073Special, Ieee11073Value } from './ieee11073.ts';
import type { BleDecodeErrorCode, DateTime } from './reader.ts';

export interface GoldenError {
  readonly code: BleDecodeErrorCode;
  readonly offset: number;
  readonly field?: BleField;
  readonly need?: number;
  readonly have?: number;
  readonly extra?: number;
}

export type GoldenExpectation<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: GoldenError };

export type GoldenVector = {
  readonly [K in CharacteristicName]: {
    readonly name: string;
    readonly characteristic: K;
    /** Bytes in transmission order, upper-case pairs separated by spaces. */
    readonly hex: string;
    readonly expected: GoldenExpectation<DecodedCharacteristics[K]>;
  };
}[CharacteristicName];

/** An IEEE 11073 number with its value written out (not computed), e.g. n(365, -1, 36.5). */
function n(mantissa: number, exponent: number, value: number): Ieee11073Value {
  return { kind: 'value', mantissa, exponent, value };
}

function special(kind: Ieee11073Special): { readonly kind: Ieee11073Special } {
  return { kind };
}

function truncated(field: BleField, offset: number, need: number, have: number): { ok: false; error: GoldenError } {
  return { ok: false, error: { code: 'truncated', field, offset, need, have } };
}

function trailing(offset: number, extra: number): { ok: false; error: GoldenError } {
  return { ok: false, error: { code: 'trailing_bytes', offset, extra } };
}

/** 2025-11-23, E9 07 0B 17, at the given time. */
function nov23(hours: number, minutes: number, seconds: number): DateTime {
  return { year: 2025, month: 11, day: 23, hours, minutes, seconds };
}

const HEART_RATE: readonly GoldenVector[] = [
  {
    name: 'uint8 rate, contact detected, two RR intervals (SmartGattLib)',
    characteristic: 'heart_rate_measurement',
    hex: '16 48 54 01 EC 02',
    expected: {
      ok: true,
      value: {
        bpm: 72,
        rateFormat: 'uint8',
        sensorContact: 'detected',
        rrIntervals: [
          { raw: 340, ms: 332.03125 },
          { raw: 748, ms: 730.46875 },
        ],
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'uint8 rate, no contact feature',
    characteristic: 'heart_rate_measurement',
    hex: '00 3C',
    expected: { ok: true, value: { bpm: 60, rateFormat: 'uint8', sensorContact: 'not_supported', reservedFlags: 0 } },
  },
  {
    name: 'uint16 rate, contact supported but not detected',
    characteristic: 'heart_rate_measurement',
    hex: '05 2C 01',
    expected: { ok: true, value: { bpm: 300, rateFormat: 'uint16', sensorContact: 'not_detected', reservedFlags: 0 } },
  },
  {
    name: 'every field: uint16 rate, contact detected, energy expended, one RR interval of 1 s',
    characteristic: 'heart_rate_measurement',
    hex: '1F 48 00 E8 03 00 04',
    expected: {
      ok: true,
      value: {
        bpm: 72,
        rateFormat: 'uint16',
        sensorContact: 'detected',
        energyExpendedKj: 1000,
        rrIntervals: [{ raw: 1024, ms: 1000 }],
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'energy expended saturated at 0xFFFF',
    characteristic: 'heart_rate_measurement',
    hex: '08 50 FF FF',
    expected: {
      ok: true,
      value: {
        bpm: 80,
        rateFormat: 'uint8',
        sensorContact: 'not_supported',
        energyExpendedKj: 65535,
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'reserved flag bits are reported, not refused',
    characteristic: 'heart_rate_measurement',
    hex: 'E0 46',
    expected: {
      ok: true,
      value: { bpm: 70, rateFormat: 'uint8', sensorContact: 'not_supported', reservedFlags: 0xe0 },
    },
  },
  { name: 'empty value', characteristic: 'heart_rate_measurement', hex: '', expected: truncated('flags', 0, 1, 0) },
  {
    name: 'uint16 rate cut short',
    characteristic: 'heart_rate_measurement',
    hex: '01 48',
    expected: truncated('heart_rate', 1, 2, 1),
  },
  {
    name: 'energy expended cut short',
    characteristic: 'heart_rate_measurement',
    hex: '08 48 E8',
    expected: truncated('energy_expended', 2, 2, 1),
  },
  {
    name: 'RR flag set but no interval',
    characteristic: 'heart_rate_measurement',
    hex: '10 48',
    expected: truncated('rr_interval', 2, 2, 0),
  },
  {
    name: 'odd byte after the RR intervals',
    characteristic: 'heart_rate_measurement',
    hex: '19 48 00 E8 03 00 04 01',
    expected: truncated('rr_interval', 7, 2, 1),
  },
  {
    name: 'a byte after the rate without RR intervals',
    characteristic: 'heart_rate_measurement',
    hex: '00 48 00',
    expected: trailing(2, 1),
  },
];

const PLX_SPOT_CHECK: readonly GoldenVector[] = [
  {
    name: 'SpO2 and pulse rate only',
    characteristic: 'plx_spot_check_measurement',
    hex: '00 61 00 48 00',
    expected: {
      ok: true,
      value: { spo2: n(97, 0, 97), pulseRate: n(72, 0, 72), deviceClockNotSet: false, reservedFlags: 0 },
    },
  },
  {
    name: 'every field, device clock not set',
    characteristic: 'plx_spot_check_measurement',
    hex: '1F D9 F3 40 00 E9 07 0B 17 0E 1E 05 80 00 20 00 00 19 F0',
    expected: {
      ok: true,
      value: {
        spo2: n(985, -1, 98.5),
        pulseRate: n(64, 0, 64),
        timestamp: nov23(14, 30, 5),
        measurementStatus: { raw: 0x0080, set: ['validated_data'], reserved: 0 },
        deviceAndSensorStatus: { raw: 0x20, set: ['low_perfusion_detected'], reserved: 0 },
        pulseAmplitudeIndex: n(25, -1, 2.5),
        deviceClockNotSet: true,
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'NaN SpO2 and pulse rate, measurement unavailable',
    characteristic: 'plx_spot_check_measurement',
    hex: '02 FF 07 FF 07 00 20',
    expected: {
      ok: true,
      value: {
        spo2: special('nan'),
        pulseRate: special('nan'),
        measurementStatus: { raw: 0x2000, set: ['measurement_unavailable'], reserved: 0 },
        deviceClockNotSet: false,
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'reserved status bits are reported',
    characteristic: 'plx_spot_check_measurement',
    hex: '06 5F 00 48 00 1F 00 00 00 FF',
    expected: {
      ok: true,
      value: {
        spo2: n(95, 0, 95),
        pulseRate: n(72, 0, 72),
        measurementStatus: { raw: 0x1f, set: [], reserved: 0x1f },
        deviceAndSensorStatus: { raw: 0xff0000, set: [], reserved: 0xff0000 },
        deviceClockNotSet: false,
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'time stamp cut short',
    characteristic: 'plx_spot_check_measurement',
    hex: '01 61 00 48 00 E9 07 0B',
    expected: truncated('timestamp', 5, 7, 3),
  },
  {
    name: 'device and sensor status (uint24) cut short',
    characteristic: 'plx_spot_check_measurement',
    hex: '04 61 00 48 00 20 00',
    expected: truncated('device_and_sensor_status', 5, 3, 2),
  },
  {
    name: 'a byte too many',
    characteristic: 'plx_spot_check_measurement',
    hex: '00 61 00 48 00 00',
    expected: trailing(5, 1),
  },
  {
    name: 'reserved flag announcing unknown bytes',
    characteristic: 'plx_spot_check_measurement',
    hex: '20 61 00 48 00 01 02',
    expected: trailing(5, 2),
  },
];

const PLX_CONTINUOUS: readonly GoldenVector[] = [
  {
    name: 'normal SpO2 and pulse rate only',
    characteristic: 'plx_continuous_measurement',
    hex: '00 60 00 4B 00',
    expected: { ok: true, value: { spo2: n(96, 0, 96), pulseRate: n(75, 0, 75), reservedFlags: 0 } },
  },
  {
    name: 'every field',
    characteristic: 'plx_continuous_measurement',
    hex: '1F 61 00 48 00 60 00 4A 00 61 00 47 00 00 01 00 08 00 0C F0',
    expected: {
      ok: true,
      value: {
        spo2: n(97, 0, 97),
        pulseRate: n(72, 0, 72),
        fast: { spo2: n(96, 0, 96), pulseRate: n(74, 0, 74) },
        slow: { spo2: n(97, 0, 97), pulseRate: n(71, 0, 71) },
        measurementStatus: { raw: 0x0100, set: ['fully_qualified_data'], reserved: 0 },
        deviceAndSensorStatus: { raw: 0x0800, set: ['sensor_unconnected_to_user'], reserved: 0 },
        pulseAmplitudeIndex: n(12, -1, 1.2),
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'NRes SpO2 and +INFINITY pulse rate',
    characteristic: 'plx_continuous_measurement',
    hex: '00 00 08 FE 07',
    expected: { ok: true, value: { spo2: special('nres'), pulseRate: special('positive_infinity'), reservedFlags: 0 } },
  },
  {
    name: 'slow pair with -INFINITY and the reserved code',
    characteristic: 'plx_continuous_measurement',
    hex: '02 61 00 48 00 02 08 01 08',
    expected: {
      ok: true,
      value: {
        spo2: n(97, 0, 97),
        pulseRate: n(72, 0, 72),
        slow: { spo2: special('negative_infinity'), pulseRate: special('reserved') },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'slow pair cut short',
    characteristic: 'plx_continuous_measurement',
    hex: '03 61 00 48 00 60 00 4A 00 61',
    expected: truncated('spo2_slow', 9, 2, 1),
  },
  {
    name: 'pulse rate missing',
    characteristic: 'plx_continuous_measurement',
    hex: '00 61 00',
    expected: truncated('pulse_rate', 3, 2, 0),
  },
  {
    name: 'pulse amplitude index cut short',
    characteristic: 'plx_continuous_measurement',
    hex: '10 61 00 48 00 0C',
    expected: truncated('pulse_amplitude_index', 5, 2, 1),
  },
  {
    name: 'a byte too many',
    characteristic: 'plx_continuous_measurement',
    hex: '00 60 00 4B 00 00',
    expected: trailing(5, 1),
  },
];

const BLOOD_PRESSURE: readonly GoldenVector[] = [
  {
    name: '120/80 mmHg, MAP 93.3, no options',
    characteristic: 'blood_pressure_measurement',
    hex: '00 78 00 50 00 A5 F3',
    expected: {
      ok: true,
      value: {
        unit: 'mmHg',
        systolic: n(120, 0, 120),
        diastolic: n(80, 0, 80),
        meanArterialPressure: n(933, -1, 93.3),
        mmHg: { systolic: 120, diastolic: 80, meanArterialPressure: 93.3 },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'every field in mmHg: body movement and irregular pulse',
    characteristic: 'blood_pressure_measurement',
    hex: '1E 82 00 55 00 64 00 E9 07 0B 17 08 0F 00 44 00 01 05 00',
    expected: {
      ok: true,
      value: {
        unit: 'mmHg',
        systolic: n(130, 0, 130),
        diastolic: n(85, 0, 85),
        meanArterialPressure: n(100, 0, 100),
        mmHg: { systolic: 130, diastolic: 85, meanArterialPressure: 100 },
        timestamp: nov23(8, 15, 0),
        pulseRate: n(68, 0, 68),
        userId: 1,
        measurementStatus: {
          raw: 5,
          set: ['body_movement', 'irregular_pulse'],
          reserved: 0,
          pulseRateRange: 'within_range',
        },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'kPa converted to mmHg, originals kept',
    characteristic: 'blood_pressure_measurement',
    hex: '01 A0 F0 6B F0 7D F0',
    expected: {
      ok: true,
      value: {
        unit: 'kPa',
        systolic: n(160, -1, 16),
        diastolic: n(107, -1, 10.7),
        meanArterialPressure: n(125, -1, 12.5),
        mmHg: { systolic: 120.00992, diastolic: 80.256634, meanArterialPressure: 93.75775 },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'MAP not available (NaN); pulse above range, improper position, a reserved status bit',
    characteristic: 'blood_pressure_measurement',
    hex: '10 8C 00 5A 00 FF 07 28 40',
    expected: {
      ok: true,
      value: {
        unit: 'mmHg',
        systolic: n(140, 0, 140),
        diastolic: n(90, 0, 90),
        meanArterialPressure: special('nan'),
        mmHg: { systolic: 140, diastolic: 90 },
        measurementStatus: {
          raw: 0x4028,
          set: ['improper_position'],
          reserved: 0x4000,
          pulseRateRange: 'above_upper_limit',
        },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'unknown user (0xFF)',
    characteristic: 'blood_pressure_measurement',
    hex: '08 78 00 50 00 5D 00 FF',
    expected: {
      ok: true,
      value: {
        unit: 'mmHg',
        systolic: n(120, 0, 120),
        diastolic: n(80, 0, 80),
        meanArterialPressure: n(93, 0, 93),
        mmHg: { systolic: 120, diastolic: 80, meanArterialPressure: 93 },
        userId: 255,
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'MAP missing',
    characteristic: 'blood_pressure_measurement',
    hex: '00 78 00 50 00',
    expected: truncated('mean_arterial_pressure', 5, 2, 0),
  },
  {
    name: 'user ID missing after the pulse rate',
    characteristic: 'blood_pressure_measurement',
    hex: '0C 78 00 50 00 5D 00 48 00',
    expected: truncated('user_id', 9, 1, 0),
  },
  {
    name: 'measurement status cut short',
    characteristic: 'blood_pressure_measurement',
    hex: '10 78 00 50 00 5D 00 01',
    expected: truncated('measurement_status', 7, 2, 1),
  },
  {
    name: 'two bytes too many',
    characteristic: 'blood_pressure_measurement',
    hex: '00 78 00 50 00 5D 00 00 00',
    expected: trailing(7, 2),
  },
];

const TEMPERATURE: readonly GoldenVector[] = [
  {
    name: '36.5 °C, no options',
    characteristic: 'temperature_measurement',
    hex: '00 6D 01 00 FF',
    expected: { ok: true, value: { unit: 'celsius', temperature: n(365, -1, 36.5), celsius: 36.5, reservedFlags: 0 } },
  },
  {
    name: '98.6 °F in the mouth, with time stamp: 37 °C',
    characteristic: 'temperature_measurement',
    hex: '07 DA 03 00 FF E9 07 0B 17 07 2D 1E 06',
    expected: {
      ok: true,
      value: {
        unit: 'fahrenheit',
        temperature: n(986, -1, 98.6),
        celsius: 37,
        timestamp: nov23(7, 45, 30),
        temperatureType: { code: 6, name: 'mouth' },
        reservedFlags: 0,
      },
    },
  },
  {
    name: '37.25 °C at the tympanum (exponent -2)',
    characteristic: 'temperature_measurement',
    hex: '04 8D 0E 00 FE 09',
    expected: {
      ok: true,
      value: {
        unit: 'celsius',
        temperature: n(3725, -2, 37.25),
        celsius: 37.25,
        temperatureType: { code: 9, name: 'tympanum' },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'reserved temperature type 0 is unknown',
    characteristic: 'temperature_measurement',
    hex: '04 6D 01 00 FF 00',
    expected: {
      ok: true,
      value: {
        unit: 'celsius',
        temperature: n(365, -1, 36.5),
        celsius: 36.5,
        temperatureType: { code: 0, name: 'unknown' },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'reserved temperature type 10 is unknown',
    characteristic: 'temperature_measurement',
    hex: '04 6D 01 00 FF 0A',
    expected: {
      ok: true,
      value: {
        unit: 'celsius',
        temperature: n(365, -1, 36.5),
        celsius: 36.5,
        temperatureType: { code: 10, name: 'unknown' },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'FLOAT NaN: no reading',
    characteristic: 'temperature_measurement',
    hex: '00 FF FF 7F 00',
    expected: { ok: true, value: { unit: 'celsius', temperature: special('nan'), reservedFlags: 0 } },
  },
  {
    name: 'FLOAT NRes: no reading',
    characteristic: 'temperature_measurement',
    hex: '00 00 00 80 00',
    expected: { ok: true, value: { unit: 'celsius', temperature: special('nres'), reservedFlags: 0 } },
  },
  {
    name: 'FLOAT +INFINITY: no reading',
    characteristic: 'temperature_measurement',
    hex: '01 FE FF 7F 00',
    expected: { ok: true, value: { unit: 'fahrenheit', temperature: special('positive_infinity'), reservedFlags: 0 } },
  },
  {
    name: 'FLOAT -INFINITY: no reading',
    characteristic: 'temperature_measurement',
    hex: '00 02 00 80 00',
    expected: { ok: true, value: { unit: 'celsius', temperature: special('negative_infinity'), reservedFlags: 0 } },
  },
  {
    name: 'FLOAT reserved code: no reading',
    characteristic: 'temperature_measurement',
    hex: '00 01 00 80 00',
    expected: { ok: true, value: { unit: 'celsius', temperature: special('reserved'), reservedFlags: 0 } },
  },
  {
    name: 'reserved flag bits are reported',
    characteristic: 'temperature_measurement',
    hex: 'F8 6D 01 00 FF',
    expected: {
      ok: true,
      value: { unit: 'celsius', temperature: n(365, -1, 36.5), celsius: 36.5, reservedFlags: 0xf8 },
    },
  },
  {
    name: 'FLOAT cut short',
    characteristic: 'temperature_measurement',
    hex: '00 6D 01 00',
    expected: truncated('temperature', 1, 4, 3),
  },
  {
    name: 'temperature type missing',
    characteristic: 'temperature_measurement',
    hex: '04 6D 01 00 FF',
    expected: truncated('temperature_type', 5, 1, 0),
  },
  {
    name: 'a byte too many',
    characteristic: 'temperature_measurement',
    hex: '00 6D 01 00 FF 00',
    expected: trailing(5, 1),
  },
];

const WEIGHT: readonly GoldenVector[] = [
  {
    name: '70.5 kg, no options',
    characteristic: 'weight_measurement',
    hex: '00 14 37',
    expected: { ok: true, value: { units: 'si', weightRaw: 14100, weight: 70.5, kg: 70.5, reservedFlags: 0 } },
  },
  {
    name: 'every field, imperial: 155.5 lb, 68.5 in',
    characteristic: 'weight_measurement',
    hex: '0F BE 3C E9 07 0B 17 06 00 00 02 EA 00 AD 02',
    expected: {
      ok: true,
      value: {
        units: 'imperial',
        weightRaw: 15550,
        weight: 155.5,
        kg: 70.533613535,
        timestamp: nov23(6, 0, 0),
        userId: 2,
        bmiAndHeight: { bmiRaw: 234, bmi: 23.4, heightRaw: 685, height: 68.5, meters: 1.7399 },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'SI with BMI and height: 82 kg, 1.8 m',
    characteristic: 'weight_measurement',
    hex: '08 10 40 FD 00 08 07',
    expected: {
      ok: true,
      value: {
        units: 'si',
        weightRaw: 16400,
        weight: 82,
        kg: 82,
        bmiAndHeight: { bmiRaw: 253, bmi: 25.3, heightRaw: 1800, height: 1.8, meters: 1.8 },
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'measurement unsuccessful (0xFFFF): no weight',
    characteristic: 'weight_measurement',
    hex: '00 FF FF',
    expected: { ok: true, value: { units: 'si', weightRaw: 0xffff, reservedFlags: 0 } },
  },
  {
    name: 'unknown user (0xFF)',
    characteristic: 'weight_measurement',
    hex: '04 14 37 FF',
    expected: {
      ok: true,
      value: { units: 'si', weightRaw: 14100, weight: 70.5, kg: 70.5, userId: 255, reservedFlags: 0 },
    },
  },
  {
    name: 'weight cut short',
    characteristic: 'weight_measurement',
    hex: '00 14',
    expected: truncated('weight', 1, 2, 1),
  },
  {
    name: 'height missing',
    characteristic: 'weight_measurement',
    hex: '08 10 40 FD 00',
    expected: truncated('height', 5, 2, 0),
  },
  { name: 'a byte too many', characteristic: 'weight_measurement', hex: '00 14 37 00', expected: trailing(3, 1) },
  {
    name: 'reserved flag announcing an unknown byte',
    characteristic: 'weight_measurement',
    hex: '10 14 37 01',
    expected: trailing(3, 1),
  },
];

const GLUCOSE: readonly GoldenVector[] = [
  {
    name: 'sequence number and base time only',
    characteristic: 'glucose_measurement',
    hex: '00 01 00 E9 07 0B 17 07 0A 00',
    expected: {
      ok: true,
      value: { sequenceNumber: 1, baseTime: nov23(7, 10, 0), units: 'kg/L', contextFollows: false, reservedFlags: 0 },
    },
  },
  {
    name: '120 mg/dL (kg/L, exponent -5), capillary plasma from a finger, time offset -60 min',
    characteristic: 'glucose_measurement',
    hex: '03 2A 00 E9 07 0B 17 07 0A 00 C4 FF 78 B0 12',
    expected: {
      ok: true,
      value: {
        sequenceNumber: 42,
        baseTime: nov23(7, 10, 0),
        timeOffsetMinutes: -60,
        units: 'kg/L',
        concentration: {
          value: n(120, -5, 0.0012),
          mgPerDl: 120,
          mmolPerL: 6.66074600355,
          type: { code: 2, name: 'capillary_plasma' },
          sampleLocation: { code: 1, name: 'finger' },
        },
        contextFollows: false,
        reservedFlags: 0,
      },
    },
  },
  {
    name: '5.6 mmol/L (mol/L, exponent -4), interstitial fluid, location not available, battery low, context follows',
    characteristic: 'glucose_measurement',
    hex: '1E 2B 00 E9 07 0B 17 07 0A 00 38 C0 F9 01 00',
    expected: {
      ok: true,
      value: {
        sequenceNumber: 43,
        baseTime: nov23(7, 10, 0),
        units: 'mol/L',
        concentration: {
          value: n(56, -4, 0.0056),
          mgPerDl: 100.8896,
          mmolPerL: 5.6,
          type: { code: 9, name: 'interstitial_fluid' },
          sampleLocation: { code: 15, name: 'not_available' },
        },
        sensorStatus: { raw: 1, set: ['device_battery_low'], reserved: 0 },
        contextFollows: true,
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'reserved type and sample location codes are unknown',
    characteristic: 'glucose_measurement',
    hex: '02 2C 00 E9 07 0B 17 07 0A 00 64 B0 50',
    expected: {
      ok: true,
      value: {
        sequenceNumber: 44,
        baseTime: nov23(7, 10, 0),
        units: 'kg/L',
        concentration: {
          value: n(100, -5, 0.001),
          mgPerDl: 100,
          mmolPerL: 5.55062166963,
          type: { code: 0, name: 'unknown' },
          sampleLocation: { code: 5, name: 'unknown' },
        },
        contextFollows: false,
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'concentration NaN: no reading',
    characteristic: 'glucose_measurement',
    hex: '02 2D 00 E9 07 0B 17 07 0A 00 FF 07 11',
    expected: {
      ok: true,
      value: {
        sequenceNumber: 45,
        baseTime: nov23(7, 10, 0),
        units: 'kg/L',
        concentration: {
          value: special('nan'),
          type: { code: 1, name: 'capillary_whole_blood' },
          sampleLocation: { code: 1, name: 'finger' },
        },
        contextFollows: false,
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'result above the meter range, with a reserved status bit',
    characteristic: 'glucose_measurement',
    hex: '08 2E 00 E9 07 0B 17 07 0A 00 20 10',
    expected: {
      ok: true,
      value: {
        sequenceNumber: 46,
        baseTime: nov23(7, 10, 0),
        units: 'kg/L',
        sensorStatus: { raw: 0x1020, set: ['result_above_device_range'], reserved: 0x1000 },
        contextFollows: false,
        reservedFlags: 0,
      },
    },
  },
  {
    name: 'base time cut short',
    characteristic: 'glucose_measurement',
    hex: '00 01 00 E9 07 0B',
    expected: truncated('base_time', 3, 7, 3),
  },
  {
    name: 'time offset cut short',
    characteristic: 'glucose_measurement',
    hex: '01 2A 00 E9 07 0B 17 07 0A 00 C4',
    expected: truncated('time_offset', 10, 2, 1),
  },
  {
    name: 'type and sample location missing',
    characteristic: 'glucose_measurement',
    hex: '02 2A 00 E9 07 0B 17 07 0A 00 78 B0',
    expected: truncated('type_sample_location', 12, 1, 0),
  },
  {
    name: 'sensor status cut short',
    characteristic: 'glucose_measurement',
    hex: '08 2A 00 E9 07 0B 17 07 0A 00 01',
    expected: truncated('sensor_status_annunciation', 10, 2, 1),
  },
  {
    name: 'a byte too many',
    characteristic: 'glucose_measurement',
    hex: '00 01 00 E9 07 0B 17 07 0A 00 00',
    expected: trailing(10, 1),
  },
];

const BATTERY: readonly GoldenVector[] = [
  { name: '64 %', characteristic: 'battery_level', hex: '40', expected: { ok: true, value: 64 } },
  { name: '0 %', characteristic: 'battery_level', hex: '00', expected: { ok: true, value: 0 } },
  { name: '100 %', characteristic: 'battery_level', hex: '64', expected: { ok: true, value: 100 } },
  { name: 'empty value', characteristic: 'battery_level', hex: '', expected: truncated('battery_level', 0, 1, 0) },
  {
    name: '101 % is reserved',
    characteristic: 'battery_level',
    hex: '65',
    expected: { ok: false, error: { code: 'out_of_range', field: 'battery_level', offset: 0 } },
  },
  { name: 'a byte too many', characteristic: 'battery_level', hex: '40 00', expected: trailing(1, 1) },
];

export const GOLDEN_VECTORS: readonly GoldenVector[] = [
  ...HEART_RATE,
  ...PLX_SPOT_CHECK,
  ...PLX_CONTINUOUS,
  ...BLOOD_PRESSURE,
  ...TEMPERATURE,
  ...WEIGHT,
  ...GLUCOSE,
  ...BATTERY,
];
