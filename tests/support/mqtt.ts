/** Real MQTT.js connections for tests, with helpers to wait for what a test expects. */
import mqtt, { type IClientOptions, type MqttClient, type IPublishPacket } from 'mqtt';

export interface Received {
  readonly topic: string;
  readonly payload: Buffer;
  readonly packet: IPublishPacket;
}

/** Connects and resolves once CONNACK arrives; rejects with the broker's refusal otherwise. */
export function connect(url: string, options: IClientOptions): Promise<MqttClient> {
  return open(url, options, () => undefined);
}

/** Connects as a provisioned device: its id is its client id and its username. */
export function connectDevice(
  url: string,
  device: { readonly deviceId: string; readonly secret: string },
): Promise<MqttClient> {
  return connect(url, { clientId: device.deviceId, username: device.deviceId, password: device.secret });
}

/**
 * Connects and collects every message from the first packet on. Use it to resume a persistent
 * session: the broker sends the session's queued messages right behind the CONNACK, and MQTT.js
 * hands them over (and acknowledges them) before it emits 'connect'. A listener added once
 * `connect` resolves misses them, and the broker, having their PUBACKs, rightly forgets them.
 */
export async function connectCollecting(
  url: string,
  options: IClientOptions,
): Promise<{ client: MqttClient; received: Received[] }> {
  let received: Received[] = [];
  const client = await open(url, options, (c) => (received = collect(c)));
  return { client, received };
}

function open(url: string, options: IClientOptions, before: (client: MqttClient) => void): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5_000, ...options });
    before(client);
    client.once('connect', () => resolve(client));
    client.once('error', (error) => {
      client.end(true);
      reject(error);
    });
    client.once('close', () => reject(new Error('connection closed before CONNACK')));
  });
}

/**
 * Collects every message a client receives from now on (for a persistent session's queued messages,
 * see connectCollecting).
 */
export function collect(client: MqttClient): Received[] {
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => received.push({ topic, payload, packet }));
  return received;
}

/** Polls until `check` passes or the timeout elapses (a wait for an outcome, not a timing assertion). */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 10_000, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, stepMs));
    }
  }
}

export function end(client: MqttClient, force = false): Promise<void> {
  return new Promise((resolve) => client.end(force, {}, () => resolve()));
}
