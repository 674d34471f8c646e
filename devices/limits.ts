/**
 * Protocol v1 limits. Ranges are physiological plausibility bounds for a senior wearing a watch:
 * a value outside them is a sensor or encoding fault, not a clinical finding, and is rejected.
 * Clinical thresholds (alerts) live in the alert engine, not here.
 */

export interface Range {
  readonly min: number;
  readonly max: number;
  readonly unit: string;
  readonly integer: boolean;
  /** LOINC code of the observation, for FHIR export. */
  readonly loinc?: string;
}

export const VITAL_RANGES = {
  hr: { min: 20, max: 250, unit: 'beats/min', integer: false, loinc: '8867-4' },
  spo2: { min: 50, max: 100, unit: '%', integer: false, loinc: '59408-5' },
  temp: { min: 30, max: 43, unit: 'Cel', integer: false, loinc: '8310-5' },
  sys: { min: 50, max: 260, unit: 'mm[Hg]', integer: false, loinc: '8480-6' },
  dia: { min: 30, max: 160, unit: 'mm[Hg]', integer: false, loinc: '8462-4' },
  rr: { min: 4, max: 60, unit: 'breaths/min', integer: false, loinc: '9279-1' },
  steps: { min: 0, max: 100_000, unit: 'steps', integer: true, loinc: '55423-8' },
  // Bluetooth scales and glucose meters paired through the patient's tablet (devices/ble).
  weight: { min: 20, max: 300, unit: 'kg', integer: false, loinc: '29463-7' },
  glucose: { min: 0.5, max: 50, unit: 'mmol/L', integer: false, loinc: '15074-8' },
  battery: { min: 0, max: 100, unit: '%', integer: true },
} as const satisfies Record<string, Range>;

export type VitalName = keyof typeof VITAL_RANGES;
export const VITAL_NAMES = Object.keys(VITAL_RANGES) as VitalName[];
/** The measurements of the person (every vital but the device's battery). */
export type ReadingName = Exclude<VitalName, 'battery'>;
export const READING_NAMES: readonly ReadingName[] = VITAL_NAMES.filter((n): n is ReadingName => n !== 'battery');

/** Largest payload a device may publish, in bytes (the broker refuses larger ones). */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
/**
 * Largest MQTT packet the broker reads (its Remaining Length, in bytes; also the largest WebSocket
 * message). Twice the largest payload, so a payload somewhat over MAX_PAYLOAD_BYTES is still
 * acknowledged and answered `too_large`; a packet over this closes the connection.
 */
export const MAX_PACKET_BYTES = 128 * 1024;
/** Most samples in one backfill message. */
export const MAX_SAMPLES = 500;
/** How far in the future a timestamp may be (device clock skew), in ms. */
export const MAX_FUTURE_MS = 5 * 60 * 1000;
/** How old a reading may be (backfill after a long offline period), in ms. Below the raw retention. */
export const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
