import { describe, expect, it } from 'vitest';
import { decodeBatteryLevel, encodeBatteryLevel } from './battery.ts';
import {
  CHARACTERISTIC_NAMES,
  CHARACTERISTICS,
  characteristicByUuid,
  decodeCharacteristic,
  SERVICES,
  toVitals,
  uuid128,
  type BleVitals,
  type CharacteristicName,
} from './gatt.ts';
import { fromHex, toHex } from './hex.ts';

describe('assigned numbers', () => {
  it.each([
    ['heart_rate', 0x180d],
    ['pulse_oximeter', 0x1822],
    ['blood_pressure', 0x1810],
    ['health_thermometer', 0x1809],
    ['weight_scale', 0x181d],
    ['glucose', 0x1808],
    ['battery_service', 0x180f],
    ['device_information', 0x180a],
  ] as const)('service %s is 0x%s', (name, uuid) => expect(SERVICES[name]).toBe(uuid));

  it.each<[CharacteristicName, number, keyof typeof SERVICES, 'notify' | 'indicate']>([
    ['heart_rate_measurement', 0x2a37, 'heart_rate', 'notify'],
    ['plx_spot_check_measurement', 0x2a5e, 'pulse_oximeter', 'indicate'],
    ['plx_continuous_measurement', 0x2a5f, 'pulse_oximeter', 'notify'],
    ['blood_pressure_measurement', 0x2a35, 'blood_pressure', 'indicate'],
    ['temperature_measurement', 0x2a1c, 'health_thermometer', 'indicate'],
    ['weight_measurement', 0x2a9d, 'weight_scale', 'indicate'],
    ['glucose_measurement', 0x2a18, 'glucose', 'notify'],
    ['battery_level', 0x2a19, 'battery_service', 'notify'],
  ])('%s is 0x%s in %s, by %s', (name, uuid, service, delivery) => {
    expect(CHARACTERISTICS[name]).toMatchObject({ uuid, service, delivery });
  });

  it('lists every characteristic once', () => {
    expect([...CHARACTERISTIC_NAMES].sort()).toEqual(Object.keys(CHARACTERISTICS).sort());
  });

  it('writes the 128-bit form on the Bluetooth base UUID', () => {
    expect(uuid128(SERVICES.heart_rate)).toBe('0000180d-0000-1000-8000-00805f9b34fb');
    expect(uuid128(0x2a37)).toBe('00002a37-0000-1000-8000-00805f9b34fb');
    expect(uuid128(0)).toBe('00000000-0000-1000-8000-00805f9b34fb');
    expect(() => uuid128(0x10000)).toThrow(RangeError);
  });

  it('finds a characteristic by 16-bit number or 128-bit UUID in any case', () => {
    expect(characteristicByUuid(0x2a35)).toBe('blood_pressure_measurement');
    expect(characteristicByUuid('00002A5F-0000-1000-8000-00805F9B34FB')).toBe('plx_continuous_measurement');
    for (const name of CHARACTERISTIC_NAMES)
      expect(characteristicByUuid(uuid128(CHARACTERISTICS[name].uuid))).toBe(name);
    expect(characteristicByUuid(0x2a00)).toBeUndefined();
    expect(characteristicByUuid('00002a37-0000-1000-8000-00805f9b34fc')).toBeUndefined();
    expect(characteristicByUuid('2a37')).toBeUndefined();
  });

  it("routes each characteristic to the table's decoder", () => {
    const bytes = fromHex('00 60 00 4B 00');
    for (const name of CHARACTERISTIC_NAMES) {
      const viaTable = CHARACTERISTICS[name].decode(bytes);
      const tagged = decodeCharacteristic(name, bytes);
      expect(tagged.ok ? { ok: true, value: tagged.value.value } : tagged).toEqual(viaTable);
      if (tagged.ok) expect(tagged.value.characteristic).toBe(name);
    }
  });
});

describe('battery level', () => {
  it('encodes 0 to 100 % and refuses more', () => {
    expect(toHex(encodeBatteryLevel(88))).toBe('58');
    expect(decodeBatteryLevel(encodeBatteryLevel(100))).toEqual({ ok: true, value: 100 });
    expect(() => encodeBatteryLevel(101)).toThrow(RangeError);
    expect(() => encodeBatteryLevel(-1)).toThrow(RangeError);
  });
  it('reports a reserved level with a reason', () => {
    expect(decodeBatteryLevel(fromHex('FF'))).toEqual({
      ok: false,
      error: {
        code: 'out_of_range',
        field: 'battery_level',
        offset: 0,
        reason: 'battery level must be 0 to 100 %, got 255',
      },
    });
  });
});

describe('toVitals', () => {
  const cases: Array<[string, CharacteristicName, string, BleVitals]> = [
    ['heart rate with contact', 'heart_rate_measurement', '06 48', { hr: 72 }],
    ['heart rate without the contact feature', 'heart_rate_measurement', '00 48', { hr: 72 }],
    ['heart rate with the sensor off the skin', 'heart_rate_measurement', '04 48', {}],
    ['RR intervals are not the respiration rate', 'heart_rate_measurement', '16 48 54 01 EC 02', { hr: 72 }],
    ['spot-check SpO2 and pulse rate', 'plx_spot_check_measurement', '00 61 00 48 00', { spo2: 97, hr: 72 }],
    [
      'spot-check SpO2 98.5 % keeps its decimal',
      'plx_spot_check_measurement',
      '00 D9 F3 40 00',
      { spo2: 98.5, hr: 64 },
    ],
    ['spot-check with NaN SpO2', 'plx_spot_check_measurement', '00 FF 07 48 00', { hr: 72 }],
    ['spot-check flagged invalid', 'plx_spot_check_measurement', '02 61 00 48 00 00 80', {}],
    ['spot-check with the measurement unavailable', 'plx_spot_check_measurement', '02 61 00 48 00 00 20', {}],
    ['spot-check demonstration data', 'plx_spot_check_measurement', '02 61 00 48 00 00 04', {}],
    ['spot-check test data', 'plx_spot_check_measurement', '02 61 00 48 00 00 08', {}],
    [
      'spot-check questionable is still a measurement',
      'plx_spot_check_measurement',
      '02 61 00 48 00 00 40',
      { spo2: 97, hr: 72 },
    ],
    [
      'continuous uses the normal pair, not fast or slow',
      'plx_continuous_measurement',
      '03 61 00 48 00 60 00 4A 00 5F 00 47 00',
      { spo2: 97, hr: 72 },
    ],
    ['continuous with NRes and +INFINITY', 'plx_continuous_measurement', '00 00 08 FE 07', {}],
    ['blood pressure in mmHg', 'blood_pressure_measurement', '00 78 00 50 00 A5 F3', { sys: 120, dia: 80 }],
    [
      'blood pressure with pulse rate',
      'blood_pressure_measurement',
      '04 82 00 55 00 64 00 44 00',
      { sys: 130, dia: 85, hr: 68 },
    ],
    [
      'blood pressure in kPa, converted',
      'blood_pressure_measurement',
      '01 A0 F0 6B F0 7D F0',
      { sys: 120.00992, dia: 80.256634 },
    ],
    ['blood pressure with NaN systolic', 'blood_pressure_measurement', '00 FF 07 50 00 5D 00', { dia: 80 }],
    [
      'blood pressure with NaN pulse rate',
      'blood_pressure_measurement',
      '04 78 00 50 00 5D 00 FF 07',
      { sys: 120, dia: 80 },
    ],
    ['temperature in °C', 'temperature_measurement', '00 6D 01 00 FF', { temp: 36.5 }],
    ['temperature in °F, converted', 'temperature_measurement', '01 DA 03 00 FF', { temp: 37 }],
    ['temperature NaN', 'temperature_measurement', '00 FF FF 7F 00', {}],
    ['weight in kg', 'weight_measurement', '00 14 37', { weight: 70.5 }],
    ['weight in lb, converted', 'weight_measurement', '01 BE 3C', { weight: 70.533613535 }],
    ['weight unsuccessful', 'weight_measurement', '00 FF FF', {}],
    ['glucose in kg/L', 'glucose_measurement', '02 2A 00 E9 07 0B 17 07 0A 00 78 B0 12', { glucose: 6.66074600355 }],
    ['glucose in mol/L', 'glucose_measurement', '06 2B 00 E9 07 0B 17 07 0A 00 38 C0 11', { glucose: 5.6 }],
    ['glucose without a concentration', 'glucose_measurement', '00 01 00 E9 07 0B 17 07 0A 00', {}],
    ['glucose NaN', 'glucose_measurement', '02 2D 00 E9 07 0B 17 07 0A 00 FF 07 11', {}],
    ['glucose of a control solution (type)', 'glucose_measurement', '02 2A 00 E9 07 0B 17 07 0A 00 78 B0 1A', {}],
    ['glucose of a control solution (location)', 'glucose_measurement', '02 2A 00 E9 07 0B 17 07 0A 00 78 B0 41', {}],
    ['glucose above the meter range', 'glucose_measurement', '0A 2A 00 E9 07 0B 17 07 0A 00 78 B0 11 20 00', {}],
    ['glucose with a strip error', 'glucose_measurement', '0A 2A 00 E9 07 0B 17 07 0A 00 78 B0 11 08 00', {}],
    [
      'glucose with a low battery is still valid',
      'glucose_measurement',
      '0A 2A 00 E9 07 0B 17 07 0A 00 78 B0 11 01 00',
      { glucose: 6.66074600355 },
    ],
    ['battery', 'battery_level', '51', { battery: 81 }],
  ];

  it.each(cases)('%s', (_, characteristic, hex, vitals) => {
    const r = decodeCharacteristic(characteristic, fromHex(hex));
    expect(r.ok).toBe(true);
    if (r.ok) expect(toVitals(r.value)).toEqual(vitals);
  });

  it('never gives a respiration rate', () => {
    for (const [, characteristic, hex] of cases) {
      const r = decodeCharacteristic(characteristic, fromHex(hex));
      if (r.ok) expect(toVitals(r.value)).not.toHaveProperty('rr');
    }
  });
});
