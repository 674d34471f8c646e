/**
 * A minimal MQTT 3.1.1 client for load generation: CONNECT (credentials, will, persistent session),
 * PUBLISH at QoS 0/1 with their PUBACKs, SUBSCRIBE, PINGREQ when idle, nothing else, on the shared
 * raw connection (common/mqtt-socket.ts). MQTT.js keeps stores, timers and streams for each
 * connection, which costs more CPU per message than the broker under test spends; this one lets one
 * process drive tens of thousands of watches. Demos and tests keep using MQTT.js (reconnection,
 * offline queue): this client does not reconnect, its owner does.
 */
import type { Packet } from 'mqtt-packet';
import { MqttSocket, type MqttSocketOptions } from '../common/mqtt-socket.ts';

export { ConnectRefused } from '../common/mqtt-socket.ts';

export type LeanOptions = Omit<MqttSocketOptions, 'onPackets' | 'onClose' | 'tls'>;

export class LeanMqttConnection {
  readonly #o: LeanOptions;
  #socket: MqttSocket | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, () => void>();
  #onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  #onClose: ((error?: Error) => void) | undefined;

  constructor(options: LeanOptions) {
    this.#o = options;
  }

  get clientId(): string {
    return this.#o.clientId;
  }

  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  /** Resolves on an accepting CONNACK; rejects with ConnectRefused, a socket error or a timeout. */
  async connect(): Promise<void> {
    this.#socket = await MqttSocket.open({
      ...this.#o,
      onPackets: (packets, socket) => {
        for (const packet of packets) this.#packet(packet, socket);
      },
      onClose: (error) => {
        this.#pending.clear();
        this.#onClose?.(error);
      },
    });
  }

  /** QoS 1: `acked` runs on the PUBACK (never, if the connection drops first). */
  publish(topic: string, payload: Buffer | string, qos: 0 | 1, acked?: () => void, retain = false): void {
    const socket = this.#socket;
    if (!socket?.connected) return;
    if (qos === 0) return socket.write({ cmd: 'publish', topic, payload, qos: 0, retain, dup: false });
    const messageId = this.#id();
    this.#pending.set(messageId, acked ?? noop);
    socket.write({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false, messageId });
  }

  subscribe(filters: readonly string[], onMessage: (topic: string, payload: Buffer) => void): void {
    this.#onMessage = onMessage;
    this.#socket?.write({
      cmd: 'subscribe',
      messageId: this.#id(),
      subscriptions: filters.map((topic) => ({ topic, qos: 1 })),
    });
  }

  onClose(listener: (error?: Error) => void): void {
    this.#onClose = listener;
  }

  /** Messages sent at QoS 1 and not yet acknowledged. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** A clean DISCONNECT (the broker drops the will), or `abrupt`: the network is lost. */
  end(abrupt = false): void {
    this.#socket?.end(abrupt);
  }

  #packet(packet: Packet, socket: MqttSocket): void {
    switch (packet.cmd) {
      case 'puback': {
        const id = packet.messageId ?? 0;
        const done = this.#pending.get(id);
        this.#pending.delete(id);
        done?.();
        return;
      }
      case 'publish': {
        const p = packet;
        if (p.qos === 1) socket.write({ cmd: 'puback', messageId: p.messageId! });
        this.#onMessage?.(p.topic, Buffer.isBuffer(p.payload) ? p.payload : Buffer.from(p.payload));
        return;
      }
      default:
        return; // suback, pingresp
    }
  }

  #id(): number {
    do this.#nextId = (this.#nextId % 65_535) + 1;
    while (this.#pending.has(this.#nextId));
    return this.#nextId;
  }
}

function noop(): void {}
