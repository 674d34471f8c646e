/**
 * The web service's view of what is happening now: it listens to the broker as the `web` service
 * (the readings the ingest stored, devices' presence and what they say about themselves, patients'
 * alert changes), keeps each patient's latest state and the last hour of readings in memory, and
 * hands every change to the subscribers of that patient. Who may subscribe to which patient is
 * decided by the caller (live-socket.ts), never here.
 *
 * Readings come from the ingest, already validated, stored and attributed to their patient, a few
 * messages a second for the whole fleet (common/live-values.ts): the web service no longer parses
 * every device message a third time. Presence and `info` still come from the devices' own topics:
 * a few messages per connection, and retained, so that after a restart of this service the broker
 * gives it every device's current presence and model at once, which the ingest's stream cannot.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { EventEmitter } from 'node:events';
import {
  allDevicesFilter,
  ALL_PATIENTS_ALERTS_FILTER,
  deviceTopic,
  liveValuesTopic,
  parsePatientAlertsTopic,
} from '../devices/topics.ts';
import { parseDeviceMessage } from '../devices/protocol.ts';
import { assertNever } from '../devices/ble/assert-never.ts';
import type { DeviceInfo, VitalSample } from '../devices/payloads.ts';
import { RecentReadings } from './recent-readings.ts';
import { READING_NAMES, type ReadingName } from '../devices/limits.ts';
import { alertViewSchema, type AlertView } from '../common/alert-api.ts';
import { parseLiveValues, type LiveDeviceValues } from '../common/live-values.ts';
import { inSlices } from '../common/slices.ts';
import { rateLimitedWarn, type Logger } from '../common/log.ts';
import type { Registry } from './registry.ts';
import { News2Window } from '../ingest/rules/news2-window.ts';
import type { InviteeView } from './api/schemas.ts';

/** Readings kept per patient for the family page's sparkline (about an hour at one per 5 s). */
const RECENT_SAMPLES = 720;
const RECENT_MS = 60 * 60_000;

export interface PatientNow {
  online: boolean | null;
  /** When the device was last heard from (any message). */
  lastSeen: number | null;
  battery: number | null;
  /** When the battery level was measured (an older reading does not replace it). */
  batteryAt: number | null;
  latest: Partial<Record<ReadingName, { value: number; ts: number }>>;
  /** The last hour's readings (at most RECENT_SAMPLES), for the family page's sparkline. */
  recent: RecentReadings;
  /** The readings NEWS2 is scored on, kept as they arrive (the console's list reads the score). */
  news2: News2Window;
}

/** What one device said last, since this service started (null: nothing heard yet). */
export interface DeviceNow {
  readonly online: boolean | null;
  readonly battery: number | null;
  /** When its last message arrived. */
  readonly lastMessageAt: number | null;
  /** What it says about itself (model, firmware), from its retained `info` topic. */
  readonly info: DeviceInfo | null;
}

export type LiveEvent =
  | { readonly type: 'vitals'; readonly patientId: string; readonly samples: readonly VitalSample[] }
  | {
      readonly type: 'presence';
      readonly patientId: string;
      readonly online: boolean;
      readonly battery: number | null;
      readonly lastSeen: number;
    }
  | { readonly type: 'alert'; readonly patientId: string; readonly alert: AlertView }
  /** A teleconsultation opened for the patient (`family`: their relatives are invited too). */
  | {
      readonly type: 'call';
      readonly patientId: string;
      readonly roomId: string;
      readonly startedAt: number;
      readonly expiresAt: number;
      readonly family: boolean;
      readonly caller: string;
    }
  /** The patient entered or left live mode (web/live-mode.ts; for the care team). */
  | { readonly type: 'mode'; readonly patientId: string; readonly live: boolean }
  /** Where those asked to join a consultation stand (for the care team). */
  | {
      readonly type: 'invitees';
      readonly patientId: string;
      readonly roomId: string;
      readonly invitees: InviteeView[];
    };

export interface LiveHubOptions {
  readonly mqttUrl: string;
  readonly username: string;
  readonly password: string;
  readonly registry: Registry;
  readonly logger: Logger;
  /** How long a live-values message is taken in before the event loop reads other sockets (LIVE_SLICE_MS). */
  readonly sliceMs?: number;
}

/**
 * A live-values message (thousands of watches' batches in the fleet) is taken in by slices of about
 * this long (ms), with a turn of the event loop between them, so an alert change read on the alerts
 * connection reaches the pages without waiting for the rest. Profiled in the fleet benchmark (pti=on
 * machine, 30 November): 134 tasks of this service's event loop took 200 ms or more, three quarters
 * of them taking in live values (recent readings and NEWS2 windows).
 */
const LIVE_SLICE_MS = 10;

export class LiveHub {
  readonly #o: LiveHubOptions;
  readonly #state = new Map<string, PatientNow>();
  readonly #devices = new Map<string, DeviceNow>();
  readonly #events = new EventEmitter<{ [patientId: string]: [LiveEvent] }>();
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  /** When each device's last presence message arrived (readings received before an `offline` are old news). */
  readonly #statusAt = new Map<string, number>();
  #client: MqttClient | undefined;
  /**
   * Alert changes come on a connection of their own: on the one of live values, an alert waited
   * behind every live value sent before it, in the broker's buffer, the kernel's and this service's
   * parser, seconds of them when this service read more slowly than they came (the fleet overload).
   */
  #alertsClient: MqttClient | undefined;
  /** Live-values messages are taken in one after the other, each perhaps over several turns. */
  #taking: Promise<void> = Promise.resolve();

  constructor(options: LiveHubOptions) {
    this.#o = options;
    this.#warn = rateLimitedWarn(options.logger);
    this.#events.setMaxListeners(0);
  }

  /**
   * Connects in the background (the pages are served even while the broker is away); the promise
   * resolves once subscribed the first time, for those who want to wait.
   */
  start(): Promise<void> {
    // Live values at most once: a lost message is superseded by the next ones, a fraction of a second
    // later, and pages reload the last hour over HTTP (the ingest publishes them at QoS 0 too).
    // At least once for presence and alert changes.
    this.#client = this.#connect(`vigie-web-${process.pid}`);
    this.#alertsClient = this.#connect(`vigie-web-${process.pid}-alerts`);
    return Promise.all([
      this.#subscribed(this.#client, {
        [liveValuesTopic()]: { qos: 0 },
        [allDevicesFilter('status')]: { qos: 1 },
        [allDevicesFilter('info')]: { qos: 1 },
      }),
      this.#subscribed(this.#alertsClient, { [ALL_PATIENTS_ALERTS_FILTER]: { qos: 1 } }),
    ]).then(() => undefined);
  }

  async stop(): Promise<void> {
    await Promise.all([this.#client, this.#alertsClient].flatMap((client) => (client ? [client.endAsync(true)] : [])));
  }

  #connect(clientId: string): MqttClient {
    const client = mqtt.connect(this.#o.mqttUrl, {
      protocolVersion: 4,
      clientId,
      username: this.#o.username,
      password: this.#o.password,
      reconnectPeriod: 1_000,
    });
    client.on('message', (topic, payload) => this.#message(topic, payload));
    client.on('error', (error) =>
      this.#warn(`mqtt-error:${clientId}`, { clientId, error: error.message }, 'MQTT error'),
    );
    return client;
  }

  /** Subscribes at every connection (clean sessions); resolves after the first. */
  #subscribed(client: MqttClient, subscriptions: Record<string, { qos: 0 | 1 }>): Promise<void> {
    return new Promise((resolve) => {
      client.on('connect', () => {
        client.subscribe(subscriptions, (error) => {
          if (error)
            this.#o.logger.error({ clientId: client.options.clientId, error: error.message }, 'live subscribe failed');
          resolve();
        });
      });
    });
  }

  now(patientId: string): PatientNow {
    return this.#state.get(patientId) ?? nobodyYet();
  }

  device(deviceId: string): DeviceNow {
    return this.#devices.get(deviceId) ?? { online: null, battery: null, lastMessageAt: null, info: null };
  }

  /** Calls `listener` with every change for this patient; returns the unsubscribe function. */
  subscribe(patientId: string, listener: (event: LiveEvent) => void): () => void {
    this.#events.on(patientId, listener);
    return () => this.#events.off(patientId, listener);
  }

  /**
   * Sends a command to one device on its `commands` topic, at least once (the broker lets the `web`
   * service do that and nothing else: broker/acl.ts). Never throws: a failure is logged.
   */
  command(deviceId: string, command: object): void {
    const client = this.#client;
    if (!client) return this.#warn('command-offline', { deviceId }, 'command not sent: not started');
    client.publish(deviceTopic(deviceId, 'commands'), JSON.stringify(command), { qos: 1 }, (error) => {
      if (error) this.#warn(`command-failed:${deviceId}`, { deviceId, error: error.message }, 'command not sent');
    });
  }

  /** Tells this patient's subscribers about something that does not come from the broker (a call invitation). */
  announce(event: LiveEvent): void {
    this.#events.emit(event.patientId, event);
  }

  #message(topic: string, payload: Buffer): void {
    if (topic === liveValuesTopic()) {
      const parsed = parseLiveValues(payload);
      if (!parsed.ok) return this.#warn('bad-live-values', { reason: parsed.error }, 'malformed live values ignored');
      const { devices } = parsed.value;
      this.#taking = this.#taking
        .then(() => inSlices(devices, this.#o.sliceMs ?? LIVE_SLICE_MS, (entry) => this.#readings(entry)))
        .catch((error: unknown) =>
          this.#warn('live-values-failed', { error: String(error) }, 'could not take in live values'),
        );
      return;
    }
    const alertsOf = parsePatientAlertsTopic(topic);
    if (alertsOf) {
      const parsed = alertViewSchema.safeParse(safeJson(payload));
      if (!parsed.success || parsed.data.patientId !== alertsOf)
        return this.#warn('bad-alert', { topic }, 'malformed alert change ignored');
      this.#events.emit(alertsOf, { type: 'alert', patientId: alertsOf, alert: parsed.data });
      return;
    }
    const parsed = parseDeviceMessage(topic, payload, { now: Date.now() });
    if (!parsed.ok) return; // the ingest rejects, counts and explains it
    const message = parsed.value;
    const patientId = this.#o.registry.patientOf(message.deviceId);
    if (!patientId) return;
    switch (message.channel) {
      case 'info':
        // Retained: it comes again at each subscription, so it says nothing of when the device was heard.
        this.#devices.set(message.deviceId, { ...this.device(message.deviceId), info: message.info });
        return;
      case 'status': {
        const now = Date.now();
        const online = message.status === 'online';
        this.#statusAt.set(message.deviceId, now);
        this.#devices.set(message.deviceId, { ...this.device(message.deviceId), online, lastMessageAt: now });
        const s = this.#patient(patientId);
        s.lastSeen = now;
        s.online = online;
        this.#events.emit(patientId, { type: 'presence', patientId, online, battery: s.battery, lastSeen: now });
        return;
      }
      case 'vitals': // not subscribed: readings come from the ingest
      case 'events': // alarms come as alert changes
        return;
      default:
        assertNever(message);
    }
  }

  /**
   * Readings the ingest stored. A reading seen again (the ingest redelivered after a restart) or older
   * than the latest never moves the latest back, nor shows twice in the recent ones.
   */
  #readings(entry: LiveDeviceValues): void {
    const { patientId, deviceId, receivedAt, samples } = entry;
    const s = this.#patient(patientId);
    const device = this.device(deviceId);
    const heardAt = Math.max(device.lastMessageAt ?? 0, receivedAt);
    // Readings the ingest received before this service saw the device go offline do not bring it back.
    const online = device.online === false && (this.#statusAt.get(deviceId) ?? 0) > receivedAt ? false : true;
    this.#devices.set(deviceId, {
      online,
      battery: samples.findLast((x) => x.battery !== undefined)?.battery ?? device.battery,
      lastMessageAt: heardAt,
      info: device.info,
    });
    s.lastSeen = Math.max(s.lastSeen ?? 0, receivedAt);
    const fresh: LiveDeviceValues['samples'] = [];
    for (const sample of samples) {
      if (!s.recent.add(sample)) continue;
      fresh.push(sample);
      for (const k of READING_NAMES) {
        const value = sample[k];
        if (value === undefined) continue;
        // Updated in place: a new object per reading would outlive the young generation (a batch every 10 s).
        const held = s.latest[k];
        if (!held) s.latest[k] = { value, ts: sample.ts };
        else if (held.ts <= sample.ts) {
          held.value = value;
          held.ts = sample.ts;
        }
      }
      if (sample.battery !== undefined && (s.batteryAt ?? 0) <= sample.ts) {
        s.battery = sample.battery;
        s.batteryAt = sample.ts;
      }
      s.news2.add(sample);
    }
    s.recent.dropBefore(Date.now() - RECENT_MS);
    if (online && s.online !== true) {
      s.online = true;
      this.#events.emit(patientId, {
        type: 'presence',
        patientId,
        online: true,
        battery: s.battery,
        lastSeen: s.lastSeen,
      });
    }
    if (fresh.length > 0) this.#events.emit(patientId, { type: 'vitals', patientId, samples: fresh });
  }

  #patient(patientId: string): PatientNow {
    let s = this.#state.get(patientId);
    if (!s) {
      s = nobodyYet();
      this.#state.set(patientId, s);
    }
    return s;
  }
}

function nobodyYet(): PatientNow {
  return {
    online: null,
    lastSeen: null,
    battery: null,
    batteryAt: null,
    latest: {},
    recent: new RecentReadings(RECENT_SAMPLES),
    news2: new News2Window(),
  };
}

function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
