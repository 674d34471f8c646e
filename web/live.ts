/**
 * The web service's view of what is happening now: it listens to the broker as the `web` service
 * (devices' vitals and presence, patients' alert changes), keeps each patient's latest state and the
 * last hour of readings in memory, and hands every change to the subscribers of that patient. Who
 * may subscribe to which patient is decided by the caller (live-socket.ts), never here.
 */
import mqtt, { type MqttClient } from 'mqtt';
import { EventEmitter } from 'node:events';
import {
  allDevicesFilter,
  ALL_PATIENTS_ALERTS_FILTER,
  deviceTopic,
  parsePatientAlertsTopic,
} from '../devices/topics.ts';
import { parseDeviceMessage } from '../devices/protocol.ts';
import type { DeviceInfo, VitalSample } from '../devices/payloads.ts';
import { READING_NAMES, type ReadingName } from '../devices/limits.ts';
import { alertViewSchema, type AlertView } from '../common/alert-api.ts';
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
  latest: Partial<Record<ReadingName, { value: number; ts: number }>>;
  recent: VitalSample[];
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
}

export class LiveHub {
  readonly #o: LiveHubOptions;
  readonly #state = new Map<string, PatientNow>();
  readonly #devices = new Map<string, DeviceNow>();
  readonly #events = new EventEmitter<{ [patientId: string]: [LiveEvent] }>();
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  #client: MqttClient | undefined;

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
    const client = mqtt.connect(this.#o.mqttUrl, {
      protocolVersion: 4,
      clientId: `vigie-web-${process.pid}`,
      username: this.#o.username,
      password: this.#o.password,
      reconnectPeriod: 1_000,
    });
    this.#client = client;
    client.on('message', (topic, payload) => this.#message(topic, payload));
    client.on('error', (error) => this.#warn('mqtt-error', { error: error.message }, 'MQTT error'));
    return new Promise((resolve) => {
      client.on('connect', () => {
        // Readings for the live display at most once: a lost one is replaced by the next, a second later,
        // and pages reload the last hour over HTTP. At least once for presence and alert changes. At
        // QoS 1 the broker stored and tracked every reading for this client as well as for the ingest.
        const subscriptions = {
          [allDevicesFilter('vitals')]: { qos: 0 as const },
          [allDevicesFilter('status')]: { qos: 1 as const },
          [allDevicesFilter('info')]: { qos: 1 as const },
          [ALL_PATIENTS_ALERTS_FILTER]: { qos: 1 as const },
        };
        client.subscribe(subscriptions, (error) => {
          if (error) this.#o.logger.error({ error: error.message }, 'live subscribe failed');
          resolve();
        });
      });
    });
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.#client ? this.#client.end(true, {}, () => resolve()) : resolve()));
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
    if (message.channel === 'info') {
      // Retained: it comes again at each subscription, so it says nothing of when the device was heard.
      this.#devices.set(message.deviceId, { ...this.device(message.deviceId), info: message.info });
      return;
    }
    const s = this.#patient(patientId);
    const now = Date.now();
    s.lastSeen = now;
    const device = this.device(message.deviceId);
    const battery =
      message.channel === 'vitals'
        ? (message.samples.findLast((x) => x.battery !== undefined)?.battery ?? device.battery)
        : device.battery;
    this.#devices.set(message.deviceId, {
      online: message.channel === 'status' ? message.status === 'online' : true,
      battery,
      lastMessageAt: now,
      info: device.info,
    });
    if (message.channel === 'status') {
      s.online = message.status === 'online';
      this.#events.emit(patientId, {
        type: 'presence',
        patientId,
        online: s.online,
        battery: s.battery,
        lastSeen: now,
      });
    } else if (message.channel === 'vitals') {
      const wasOnline = s.online;
      s.online = true;
      for (const sample of message.samples) {
        for (const k of READING_NAMES) {
          const value = sample[k];
          if (value !== undefined && (s.latest[k]?.ts ?? 0) <= sample.ts) s.latest[k] = { value, ts: sample.ts };
        }
        if (sample.battery !== undefined) s.battery = sample.battery;
        s.news2.add(sample);
      }
      s.recent.push(...message.samples);
      while (s.recent.length > RECENT_SAMPLES || (s.recent[0]?.ts ?? now) < now - RECENT_MS) s.recent.shift();
      if (!wasOnline)
        this.#events.emit(patientId, { type: 'presence', patientId, online: true, battery: s.battery, lastSeen: now });
      this.#events.emit(patientId, { type: 'vitals', patientId, samples: message.samples });
    }
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
  return { online: null, lastSeen: null, battery: null, latest: {}, recent: [], news2: new News2Window() };
}

function safeJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
}
