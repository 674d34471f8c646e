import { describe, expect, it } from 'vitest';
import { decodeCharacteristic } from '../../../../devices/ble/gatt.ts';
import { encodeHeartRateMeasurement } from '../../../../devices/ble/heart-rate.ts';
import { encodeBloodPressureMeasurement } from '../../../../devices/ble/blood-pressure.ts';
import { sfloatFromValue } from '../../../../devices/ble/ieee11073.ts';
import { measuredAt } from './reading-time.ts';

const v = (x: number) => {
  const r = sfloatFromValue(x, 0);
  if (!r.ok) throw new Error(r.error.reason);
  return r.value;
};
function cuffReading(at: Date | undefined) {
  const timestamp = at && {
    year: at.getFullYear(),
    month: at.getMonth() + 1,
    day: at.getDate(),
    hours: at.getHours(),
    minutes: at.getMinutes(),
    seconds: at.getSeconds(),
  };
  const bytes = encodeBloodPressureMeasurement({
    unit: 'mmHg',
    systolic: v(130),
    diastolic: v(80),
    meanArterialPressure: v(97),
    ...(timestamp ? { timestamp } : {}),
  });
  const decoded = decodeCharacteristic('blood_pressure_measurement', bytes);
  if (!decoded.ok) throw new Error(decoded.error.reason);
  return decoded.value;
}

describe('when a Bluetooth measurement was taken', () => {
  const now = new Date(2026, 10, 23, 18, 0, 0).getTime();

  it("keeps a cuff's own time stamp for a reading it stored while away", () => {
    expect(measuredAt(cuffReading(new Date(2026, 10, 22, 7, 30, 0)), now)).toBe(
      new Date(2026, 10, 22, 7, 30, 0).getTime(),
    );
  });

  it('dates on reception a reading without a time stamp, or with a clock never set', () => {
    expect(measuredAt(cuffReading(undefined), now)).toBe(now);
    expect(measuredAt(cuffReading(new Date(2000, 0, 1, 0, 0, 0)), now)).toBe(now); // factory clock
    expect(measuredAt(cuffReading(new Date(2026, 10, 24, 18, 0, 0)), now)).toBe(now); // a day ahead
  });

  it('takes a clock a little fast as now, not as the future', () => {
    expect(measuredAt(cuffReading(new Date(2026, 10, 23, 18, 2, 0)), now)).toBe(now);
  });

  it('dates a heart-rate strap (no time stamp in 0x2A37) on reception', () => {
    const decoded = decodeCharacteristic(
      'heart_rate_measurement',
      encodeHeartRateMeasurement({ bpm: 70, sensorContact: 'detected' }),
    );
    expect(decoded.ok && measuredAt(decoded.value, now)).toBe(now);
  });
});
