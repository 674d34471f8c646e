/**
 * What went wrong with Bluetooth, in terms the page can explain to a senior: from the errors Web
 * Bluetooth throws, and from what a device itself reports about a measurement.
 */
import type { BleReading } from '../../../../devices/ble/gatt.ts';

export type GatewayProblem = 'unsupported' | 'off' | 'cancelled' | 'denied' | 'no_service' | 'enrolment' | 'other';

/** The problem behind an error of requestDevice (Web Bluetooth specification, §4). */
export function problemOf(error: unknown): { kind: GatewayProblem; detail?: string } {
  const name = typeof error === 'object' && error !== null && 'name' in error ? String(error.name) : '';
  const message = error instanceof Error ? error.message : String(error);
  // Chromium: "Bluetooth adapter not available." when the radio is off or absent.
  if (name === 'NotFoundError' && /adapter/i.test(message)) return { kind: 'off' };
  if (name === 'NotFoundError') return { kind: 'cancelled' }; // the chooser was closed, or nothing matched
  if (name === 'NotAllowedError' || name === 'SecurityError') return { kind: 'denied' };
  if (name === 'NotSupportedError') return { kind: 'unsupported' };
  // The browser's own words are English, for developers: the page says it its own way (ble.problem.other).
  return { kind: 'other' };
}

export type MeasurementNotice = 'glucose_above_range' | 'glucose_below_range';

/**
 * A measurement the device could not give as a number but that matters: a glucose meter's "HI" or
 * "LO" (above or below what it can measure). No number is sent for it (it would be the meter's
 * limit, not the level): the gateway sends an `out_of_range` event, which raises the care team's
 * most severe glucose alert, and the page tells the senior what to do.
 */
export function noticeOf(reading: BleReading): MeasurementNotice | undefined {
  if (reading.characteristic !== 'glucose_measurement') return undefined;
  const set = reading.value.sensorStatus?.set ?? [];
  if (set.includes('result_above_device_range')) return 'glucose_above_range';
  if (set.includes('result_below_device_range')) return 'glucose_below_range';
  return undefined;
}
