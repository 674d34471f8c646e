/**
 * The gateway's way in: this browser's own device identity (enrolled once through the API, kept in
 * localStorage) and an MQTT over WebSocket connection as that device, through the web server's
 * `/mqtt` relay. Readings are protocol v1 vitals (and a meter's HI / LO an `out_of_range` event), QoS 1, checked by the broker as a watch's are; a
 * reading the broker refuses comes back on the device's `errors` topic, with the reason.
 */
import type { MqttClient } from 'mqtt';
import { deviceTopic } from '../../../../devices/topics.ts';
import { parseRejection } from '../../../../devices/protocol.ts';
import type { DeviceEvent, VitalSample } from '../../../../devices/payloads.ts';
import { ROUTES } from '../../../api/routes.ts';
import { gatewayIdentitySchema, type GatewayIdentity as Identity } from '../../../api/schemas.ts';
import { call } from '../../lib/api.ts';

export interface UplinkEvents {
  /** The broker refused a reading (it says why). */
  rejected(reason: string): void;
}

/** Broker answers that mean "these credentials are no good": enrol again. */
const REFUSED_CODES = new Set([4, 5, 134, 135]);

export class Uplink {
  readonly #patientId: string;
  readonly #on: UplinkEvents;
  #client: MqttClient | undefined;
  #identity: Identity | undefined;
  #starting: Promise<void> | undefined;

  constructor(patientId: string, on: UplinkEvents) {
    this.#patientId = patientId;
    this.#on = on;
  }

  /** Connects (enrolling this browser first if it has no identity yet). */
  start(): Promise<void> {
    this.#starting ??= this.#start(false);
    return this.#starting;
  }

  async #start(reenrolled: boolean): Promise<void> {
    this.#identity = this.#stored() ?? (await this.#enrol());
    const { default: mqtt } = await import('mqtt');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const id = this.#identity;
    const client = mqtt.connect(`${scheme}://${location.host}${id.mqttPath}`, {
      protocolVersion: 4,
      clientId: id.deviceId,
      username: id.deviceId,
      password: id.secret,
      clean: false, // readings not yet acknowledged are sent again after a reconnection
      reconnectPeriod: 2_000,
    });
    this.#client = client;
    client.on('connect', () => client.subscribe(deviceTopic(id.deviceId, 'errors'), { qos: 1 }));
    client.on('message', (_topic, payload) => {
      const rejection = parseRejection(payload);
      if (rejection.ok) this.#on.rejected(rejection.value.reason);
    });
    client.on('error', (error) => {
      const code = (error as { code?: number }).code;
      if (code !== undefined && REFUSED_CODES.has(code) && !reenrolled) {
        // Revoked, or the platform was reset: this identity is gone. Enrol again, once.
        client.end(true);
        localStorage.removeItem(this.#key);
        this.#starting = this.#start(true);
      }
    });
  }

  /** Sends one reading; resolves once the broker has acknowledged it (it is then stored). */
  publish(sample: Omit<VitalSample, 'seq'>): Promise<void> {
    return this.#send('vitals', (seq): VitalSample => ({ ...sample, seq }));
  }

  /** Sends an event (a meter's HI or LO: a measurement beyond its range), acknowledged likewise. */
  event(event: Omit<Extract<DeviceEvent, { type: 'out_of_range' }>, 'seq'>): Promise<void> {
    return this.#send('events', (seq): DeviceEvent => ({ ...event, seq }));
  }

  /** QoS 1 on this device's topic, with the next seq. */
  async #send(channel: 'vitals' | 'events', body: (seq: number) => VitalSample | DeviceEvent): Promise<void> {
    await this.start();
    const client = this.#client;
    const id = this.#identity;
    if (!client || !id) throw new Error('not connected');
    await client.publishAsync(deviceTopic(id.deviceId, channel), JSON.stringify(body(this.#nextSeq())), { qos: 1 });
  }

  stop(): void {
    this.#client?.end(true);
  }

  get #key(): string {
    return `vigie.gateway.${this.#patientId}`;
  }

  #stored(): Identity | undefined {
    try {
      const raw = localStorage.getItem(this.#key);
      if (!raw) return undefined;
      const stored = gatewayIdentitySchema.safeParse(JSON.parse(raw));
      return stored.success ? stored.data : undefined;
    } catch {
      return undefined;
    }
  }

  async #enrol(): Promise<Identity> {
    const id = await call(ROUTES.enrolGateway, {
      params: { patientId: this.#patientId },
      body: { label: navigator.userAgent.slice(0, 80) },
    });
    localStorage.setItem(this.#key, JSON.stringify(id));
    return id;
  }

  /** Per device, increasing, never reused (the ingest removes duplicates by device and seq). */
  #nextSeq(): number {
    const key = `${this.#key}.seq`;
    const next = Math.max(Number(localStorage.getItem(key) ?? 0) + 1, Date.now());
    localStorage.setItem(key, String(next));
    return next;
  }
}
