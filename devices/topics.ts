/**
 * MQTT topics of protocol v1. Every topic in Vigie is built or parsed here; nothing else
 * concatenates topic strings.
 */

export const TOPIC_ROOT = 'vigie/v1/devices';

/** What a device publishes or receives, by topic suffix. */
export const CHANNELS = ['vitals', 'events', 'status', 'info', 'commands', 'errors'] as const;
export type Channel = (typeof CHANNELS)[number];

/** Channels a device may publish to (its own only). */
export const DEVICE_PUBLISH_CHANNELS: ReadonlySet<Channel> = new Set(['vitals', 'events', 'status', 'info']);
/** Channels a device may subscribe to (its own only). */
export const DEVICE_SUBSCRIBE_CHANNELS: ReadonlySet<Channel> = new Set(['commands', 'errors']);

/**
 * A device id: 3 to 64 characters of lower-case letters, digits and '-', starting with a letter or
 * digit. It never contains MQTT wildcards or separators, so it is safe inside a topic level.
 */
const DEVICE_ID = /^[a-z0-9][a-z0-9-]{2,63}$/;

export function isDeviceId(value: string): boolean {
  return DEVICE_ID.test(value);
}

export function deviceTopic(deviceId: string, channel: Channel): string {
  if (!isDeviceId(deviceId)) throw new TypeError(`invalid device id ${JSON.stringify(deviceId)}`);
  return `${TOPIC_ROOT}/${deviceId}/${channel}`;
}

/** The subscription filter that matches one channel of every device (for platform services). */
export function allDevicesFilter(channel: Channel): string {
  return `${TOPIC_ROOT}/+/${channel}`;
}

export interface DeviceTopic {
  readonly deviceId: string;
  readonly channel: Channel;
}

/** Parses a concrete topic (no wildcards) into its device and channel, or null if it is not ours. */
export function parseDeviceTopic(topic: string): DeviceTopic | null {
  const prefix = `${TOPIC_ROOT}/`;
  if (!topic.startsWith(prefix)) return null;
  const rest = topic.slice(prefix.length).split('/');
  if (rest.length !== 2) return null;
  const [deviceId, channel] = rest as [string, string];
  if (!isDeviceId(deviceId) || !isChannel(channel)) return null;
  return { deviceId, channel };
}

function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}

/** Platform topics about a patient (published by the platform's services, never by devices). */
export const PATIENT_ROOT = 'vigie/v1/patients';

/** Alert changes of one patient (the ingest's alert engine publishes; the web service relays). */
export function patientAlertsTopic(patientId: string): string {
  if (!isDeviceId(patientId)) throw new TypeError(`invalid patient id ${JSON.stringify(patientId)}`);
  return `${PATIENT_ROOT}/${patientId}/alerts`;
}

export const ALL_PATIENTS_ALERTS_FILTER = `${PATIENT_ROOT}/+/alerts`;

/** The patient of an alerts topic, or null if the topic is not one. */
export function parsePatientAlertsTopic(topic: string): string | null {
  const m = /^vigie\/v1\/patients\/([^/]+)\/alerts$/.exec(topic);
  return m && isDeviceId(m[1]!) ? m[1]! : null;
}

/** Topics between the platform's own services (never a device's, never a page's). */
export const PLATFORM_ROOT = 'vigie/v1/platform';

/**
 * The readings the ingest has validated and stored, coalesced for the web service's live display:
 * every patient's new readings of the last fraction of a second in one message (common/live-values.ts).
 */
export function liveValuesTopic(): string {
  return `${PLATFORM_ROOT}/live-values`;
}
