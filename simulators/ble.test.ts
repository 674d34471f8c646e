import { describe, expect, it } from 'vitest';
import { decodeCharacteristic, toVitals } from '../devices/ble/gatt.ts';
import { baselineFor, sample } from './physiology.ts';
import { bleValue, goldenValues, SIMULATED_BLE_DEVICES, type SimulatedBleKind } from './ble.ts';

const KINDS = Object.keys(SIMULATED_BLE_DEVICES) as SimulatedBleKind[];

describe('simulated Bluetooth devices', () => {
  it('send, for every reading of the model, bytes that decode back to that reading', () => {
    let checked = 0;
    for (let index = 0; index < 20; index += 1) {
      const b = baselineFor(7, index);
      for (let tick = 0; tick < 600; tick += 37) {
        const s = sample(b, {
          seed: 7,
          index,
          tick,
          ts: 1_795_000_000_000 + tick * 1000,
          seq: tick,
          elapsedMs: tick * 1000,
          intervalSec: 1,
        });
        const input = { sample: s, weightKg: 55 + index * 1.5, glucoseMmolPerL: 4.5 + index * 0.3, sequence: tick };
        for (const kind of KINDS) {
          const bytes = bleValue(kind, input);
          if (!bytes) continue;
          const decoded = decodeCharacteristic(SIMULATED_BLE_DEVICES[kind].characteristic, bytes);
          expect(decoded.ok, `${kind} ${JSON.stringify(s)}`).toBe(true);
          if (!decoded.ok) continue;
          const v = toVitals(decoded.value);
          const expected: Record<SimulatedBleKind, Record<string, number | undefined>> = {
            heart_rate_strap: { hr: Math.round(s.hr!) },
            blood_pressure_cuff: {
              sys: Math.round(s.sys!),
              dia: Math.round(s.dia!),
              ...(s.hr === undefined ? {} : { hr: Math.round(s.hr) }),
            },
            thermometer: { temp: s.temp },
            pulse_oximeter: { spo2: s.spo2, hr: s.hr },
            scale: { weight: Math.round(input.weightKg / 0.005) * 0.005 },
            glucose_meter: { glucose: Math.round(input.glucoseMmolPerL * 100) / 100 },
          };
          for (const [k, want] of Object.entries(expected[kind]))
            expect((v as Record<string, number>)[k], `${kind}.${k}`).toBeCloseTo(want!, 6);
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(200);
  });

  it('say nothing for a measurement the reading does not have', () => {
    expect(bleValue('blood_pressure_cuff', { sample: { hr: 70 } })).toBeUndefined();
    expect(bleValue('scale', { sample: { hr: 70 } })).toBeUndefined();
  });

  it("send a glucose meter's HI and LO as its limit with the status bit, which voids the number", () => {
    for (const [beyond, bit] of [
      ['above', 'result_above_device_range'],
      ['below', 'result_below_device_range'],
    ] as const) {
      const decoded = decodeCharacteristic(
        'glucose_measurement',
        bleValue('glucose_meter', { sample: {}, glucoseBeyondRange: beyond })!,
      );
      if (!decoded.ok || decoded.value.characteristic !== 'glucose_measurement')
        throw new Error('not a glucose measurement');
      expect(decoded.value.value.sensorStatus?.set).toEqual([bit]);
      expect(toVitals(decoded.value).glucose).toBeUndefined();
    }
    const high = decodeCharacteristic(
      'glucose_measurement',
      bleValue('glucose_meter', { sample: {}, glucoseMmolPerL: 25.4 })!,
    );
    expect(high.ok && toVitals(high.value).glucose).toBeCloseTo(25.4, 6);
  });

  it('replay the golden vectors of each characteristic, which all decode', () => {
    for (const kind of KINDS) {
      const { characteristic } = SIMULATED_BLE_DEVICES[kind];
      const values = goldenValues(characteristic);
      expect(values.length, characteristic).toBeGreaterThan(0);
      for (const bytes of values) expect(decodeCharacteristic(characteristic, bytes).ok).toBe(true);
    }
  });
});
