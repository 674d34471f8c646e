import { describe, expect, it } from 'vitest';
import { encodeGlucoseMeasurement } from '../../../../devices/ble/glucose.ts';
import { decodeCharacteristic } from '../../../../devices/ble/gatt.ts';
import { sfloatFromValue } from '../../../../devices/ble/ieee11073.ts';
import { noticeOf, problemOf } from './problems.ts';

const domError = (name: string, message: string) => Object.assign(new Error(message), { name });

describe('Bluetooth problems in plain terms', () => {
  it.each([
    [domError('NotFoundError', 'Bluetooth adapter not available.'), 'off'],
    [domError('NotFoundError', 'User cancelled the requestDevice() chooser.'), 'cancelled'],
    [domError('NotAllowedError', 'Permission denied.'), 'denied'],
    [domError('SecurityError', 'Origin is not allowed to access the service.'), 'denied'],
    [domError('NotSupportedError', 'Web Bluetooth is not available'), 'unsupported'],
    [domError('NetworkError', 'GATT Server is disconnected.'), 'other'],
  ] as const)('%s → %s', (error, kind) => {
    expect(problemOf(error).kind).toBe(kind);
    // Never the browser's English words: the page says each kind in its language.
    expect(problemOf(error)).not.toHaveProperty('detail');
  });

  it('tells the senior about a glucose meter\'s "HI" and "LO", which carry no number', () => {
    const reading = (raw: number) => {
      const value = sfloatFromValue(0.0333, -4);
      if (!value.ok) throw new Error(value.error.reason);
      const bytes = encodeGlucoseMeasurement({
        sequenceNumber: 1,
        baseTime: { year: 2026, month: 11, day: 23, hours: 8, minutes: 0, seconds: 0 },
        units: 'mol/L',
        concentration: { value: value.value, type: { code: 1 }, sampleLocation: { code: 1 } },
        sensorStatus: { raw },
      });
      const decoded = decodeCharacteristic('glucose_measurement', bytes);
      if (!decoded.ok) throw new Error(decoded.error.reason);
      return decoded.value;
    };
    const above = 1 << 5; // Sensor Status Annunciation bit 5: result higher than the device can process
    const below = 1 << 6;
    expect(noticeOf(reading(above))).toBe('glucose_above_range');
    expect(noticeOf(reading(below))).toBe('glucose_below_range');
    expect(noticeOf(reading(0))).toBeUndefined();
  });
});
