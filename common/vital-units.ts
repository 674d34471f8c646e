/**
 * The unit each vital is shown with, to a person (pages, e-mails, push): devices/PROTOCOL.md gives the
 * values in these units; the UCUM codes of devices/limits.ts are for machines (FHIR), not for reading.
 */
export const VITAL_UNITS = {
  hr: '/min',
  spo2: '%',
  temp: '°C',
  bp: 'mmHg',
  sys: 'mmHg',
  dia: 'mmHg',
  rr: '/min',
  weight: 'kg',
  glucose: 'mmol/L',
} as const;

/** The unit of a vital named on the wire (an alert's `detail.vital`), if it has one. */
export function unitOf(vital: string): string | undefined {
  return Object.hasOwn(VITAL_UNITS, vital) ? VITAL_UNITS[vital as keyof typeof VITAL_UNITS] : undefined;
}
