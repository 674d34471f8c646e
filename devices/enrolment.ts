/**
 * What a new watch needs to connect, as one URI the maker's set-up app reads from a QR code shown
 * once on the care team's set-up page (PROTOCOL.md, "Enrolment"):
 *
 *   vigie-enrol:v1?broker=<MQTT URL>&id=<device id>&secret=<secret>
 *
 * each value percent-encoded. The secret is the device's MQTT password; whoever holds the URI can
 * connect as the watch, so the page shows it once and the app keeps it only in the watch.
 */
import { isDeviceId } from './topics.ts';
import { err, ok, type Result } from './result.ts';

export const ENROLMENT_SCHEME = 'vigie-enrol:';
const VERSION = 'v1';

export interface Enrolment {
  /** `mqtt:`, `mqtts:`, `ws:` or `wss:` URL of the broker the watch connects to. */
  readonly brokerUrl: string;
  readonly deviceId: string;
  readonly secret: string;
}

export type EnrolmentError = 'scheme' | 'version' | 'broker' | 'device_id' | 'secret';

const BROKER_PROTOCOLS = new Set(['mqtt:', 'mqtts:', 'ws:', 'wss:']);
/** Secrets are base64url (common/secrets.ts: 32 random bytes); a little room for other encodings. */
const SECRET = /^[A-Za-z0-9_-]{16,128}$/;

export function enrolmentUri(e: Enrolment): string {
  const query = new URLSearchParams({ broker: e.brokerUrl, id: e.deviceId, secret: e.secret });
  return `${ENROLMENT_SCHEME}${VERSION}?${query.toString()}`;
}

export function parseEnrolmentUri(uri: string): Result<Enrolment, EnrolmentError> {
  if (!uri.startsWith(ENROLMENT_SCHEME)) return err('scheme');
  const [version, query = ''] = uri.slice(ENROLMENT_SCHEME.length).split('?', 2);
  if (version !== VERSION) return err('version');
  const params = new URLSearchParams(query);
  const brokerUrl = params.get('broker') ?? '';
  if (!URL.canParse(brokerUrl) || !BROKER_PROTOCOLS.has(new URL(brokerUrl).protocol)) return err('broker');
  const deviceId = params.get('id') ?? '';
  if (!isDeviceId(deviceId)) return err('device_id');
  const secret = params.get('secret') ?? '';
  if (!SECRET.test(secret)) return err('secret');
  return ok({ brokerUrl, deviceId, secret });
}
