/**
 * What of an alert a person may see: a relative without the patient's consent to see vital signs
 * learns that there is an alert, of which kind, and how it is being handled, but no measurement
 * (no value, no limit crossed, no NEWS2 score). The one place where an alert is redacted, for every
 * channel: HTTP answers and the live channel (web service), e-mails and Web Push (ingest).
 */
import type { AlertView } from './alert-api.ts';

/**
 * Details that say nothing of the patient's measurements: which vital an alert is about, a fall's
 * timing and the watch's certainty, why an alert was raised without a reading (no response, watch
 * offline), the watch's battery. Anything else (value, limit, score, points, a device's HI/LO) goes.
 */
const WITHOUT_CONSENT = new Set([
  'vital',
  'direction',
  'status',
  'seq',
  'ts',
  'confidence',
  'confirmAt',
  'reason',
  'windowMs',
  'lastVitalsAt',
  'afterMs',
  'since',
  'battery',
]);

export function redactDetail(
  detail: Readonly<Record<string, unknown>>,
  vitals: boolean,
): Readonly<Record<string, unknown>> {
  if (vitals) return detail;
  return Object.fromEntries(Object.entries(detail).filter(([k]) => WITHOUT_CONSENT.has(k)));
}

export function alertFor<A extends Pick<AlertView, 'detail'>>(alert: A, viewer: { readonly vitals: boolean }): A {
  return viewer.vitals ? alert : { ...alert, detail: redactDetail(alert.detail, false) };
}
