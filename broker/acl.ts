/**
 * Who may publish and subscribe where. Pure functions, so every rule is tested in a table.
 * A device owns exactly the topics under its own id; a service account gets what its role needs.
 */
import {
  ALL_PATIENTS_ALERTS_FILTER,
  allDevicesFilter,
  parsePatientAlertsTopic,
  DEVICE_PUBLISH_CHANNELS,
  DEVICE_SUBSCRIBE_CHANNELS,
  liveValuesTopic,
  parseDeviceTopic,
  type Channel,
} from '../devices/topics.ts';
import { SERVICE_PREFIX, type ServiceRole } from '../web/directory.ts';

/** A connected, authenticated principal. */
export type Principal =
  | { readonly kind: 'device'; readonly deviceId: string; readonly patientId: string }
  | { readonly kind: 'service'; readonly username: string; readonly role: ServiceRole };

/** Service accounts use names `svc:<name>`; device ids cannot contain ':'. */
export { SERVICE_PREFIX };

export type Denial = 'foreign_topic' | 'platform_channel' | 'wildcard' | 'not_allowed' | 'qos';

export type Decision =
  { readonly allowed: true } | { readonly allowed: false; readonly denial: Denial; readonly reason: string };

const ALLOW: Decision = { allowed: true };
const deny = (denial: Denial, reason: string): Decision => ({ allowed: false, denial, reason });

const SERVICE_SUBSCRIPTIONS: Record<ServiceRole, ReadonlySet<string>> = {
  ingest: new Set((['vitals', 'events', 'status'] as const satisfies readonly Channel[]).map(allDevicesFilter)),
  // The web service relays the readings the ingest stored (live values, not the devices' own vitals),
  // presence and alert changes to the people allowed to see them, and shows what each device says
  // about itself (model, firmware) to the care team.
  web: new Set([
    ...(['status', 'info'] as const satisfies readonly Channel[]).map(allDevicesFilter),
    ALL_PATIENTS_ALERTS_FILTER,
    liveValuesTopic(),
  ]),
};

export function authorizePublish(principal: Principal, topic: string, qos: number): Decision {
  if (principal.kind === 'service') {
    // The alert engine publishes alert changes, at least once.
    if (principal.role === 'ingest' && parsePatientAlertsTopic(topic) !== null)
      return qos >= 1 ? ALLOW : deny('qos', 'alert changes must be published with QoS 1');
    // The ingest hands the readings it stored to the web service's live display (any QoS: it uses 0).
    if (principal.role === 'ingest' && topic === liveValuesTopic()) return ALLOW;
    // The web service commands a patient's watch into live mode while someone watches (web/live-mode.ts),
    // at least once: a lost command would leave the watch in batches with a viewer waiting.
    if (principal.role === 'web' && parseDeviceTopic(topic)?.channel === 'commands')
      return qos >= 1 ? ALLOW : deny('qos', 'commands must be published with QoS 1');
    return deny('not_allowed', `service ${principal.username} does not publish on ${topic}`);
  }
  const parsed = parseDeviceTopic(topic);
  if (!parsed || parsed.deviceId !== principal.deviceId) {
    return deny('foreign_topic', `device ${principal.deviceId} may only publish under its own topics`);
  }
  if (!DEVICE_PUBLISH_CHANNELS.has(parsed.channel)) {
    return deny('platform_channel', `devices do not publish on ${parsed.channel}`);
  }
  // Events at QoS 0 are allowed here: a fall that arrived is an alarm, so the broker takes it at
  // QoS 1 and tells the device to use QoS 1 (broker.ts, #forwardFirst).
  return ALLOW;
}

export function authorizeSubscribe(principal: Principal, filter: string): Decision {
  if (principal.kind === 'service') {
    return SERVICE_SUBSCRIPTIONS[principal.role].has(filter)
      ? ALLOW
      : deny('not_allowed', `role ${principal.role} may not subscribe to ${filter}`);
  }
  if (filter.includes('#') || filter.includes('+')) return deny('wildcard', 'devices may not subscribe with wildcards');
  const parsed = parseDeviceTopic(filter);
  if (!parsed || parsed.deviceId !== principal.deviceId) {
    return deny('foreign_topic', `device ${principal.deviceId} may only subscribe to its own topics`);
  }
  return DEVICE_SUBSCRIBE_CHANNELS.has(parsed.channel)
    ? ALLOW
    : deny('platform_channel', `devices may subscribe only to commands and errors`);
}

/** Checks a Last Will at CONNECT: a device's will is its own retained status `offline`. */
export function authorizeWill(principal: Principal, topic: string, payload: Buffer): Decision {
  if (principal.kind === 'service') return deny('not_allowed', 'service accounts have no will');
  const parsed = parseDeviceTopic(topic);
  if (!parsed || parsed.deviceId !== principal.deviceId || parsed.channel !== 'status') {
    return deny('foreign_topic', 'a device will must be on its own status topic');
  }
  return payload.toString() === 'offline' ? ALLOW : deny('not_allowed', 'a device will must say offline');
}
