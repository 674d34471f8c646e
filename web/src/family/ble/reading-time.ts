/**
 * When a measurement was taken. Cuffs, thermometers, scales, oximeters and glucose meters may send a
 * time stamp (the device's local time, no zone) — a cuff that stored readings while away from the
 * tablet sends them later, each with its own time. We read it in the tablet's zone and keep it when
 * it is plausible (not in the future, within the protocol's 30 days); otherwise, or when the device
 * sends none, the reading is dated when received.
 */
import type { BleReading } from '../../../../devices/ble/gatt.ts';
import type { DateTime } from '../../../../devices/ble/reader.ts';
import { MAX_AGE_MS, MAX_FUTURE_MS } from '../../../../devices/limits.ts';

export function measuredAt(reading: BleReading, receivedAt: number): number {
  const stamp = deviceTime(reading);
  if (stamp === undefined || Number.isNaN(stamp)) return receivedAt;
  // A device clock a few minutes fast is common; a time from the future or older than the protocol
  // accepts is a clock that was never set.
  if (stamp > receivedAt + MAX_FUTURE_MS || stamp < receivedAt - MAX_AGE_MS + 60_000) return receivedAt;
  return Math.min(stamp, receivedAt);
}

function deviceTime(reading: BleReading): number | undefined {
  switch (reading.characteristic) {
    case 'blood_pressure_measurement':
    case 'temperature_measurement':
    case 'weight_measurement':
    case 'plx_spot_check_measurement':
      return reading.value.timestamp && local(reading.value.timestamp);
    case 'glucose_measurement':
      return local(reading.value.baseTime) + (reading.value.timeOffsetMinutes ?? 0) * 60_000;
    default:
      return undefined;
  }
}

/** A Date Time characteristic value (year 0 or month/day 0 mean "not known"). */
function local(t: DateTime): number {
  if (t.year === 0 || t.month === 0 || t.day === 0) return Number.NaN;
  return new Date(t.year, t.month - 1, t.day, t.hours, t.minutes, t.seconds).getTime();
}
