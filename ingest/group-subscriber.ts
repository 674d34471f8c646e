/**
 * A QoS 1 subscriber that reads ahead and acknowledges in groups. MQTT 3.1.1 lets the server have
 * many QoS 1 messages in flight to a subscriber, which acknowledges them in the order they came
 * (§4.6): so everything already read from the socket (up to a cap) is handed to the owner as one
 * group, the owner stores it durably at once, and all its PUBACKs leave in one write. While a group
 * is being stored the next is read into a bounded buffer; when that is full the socket is no longer
 * read and TCP holds the broker (back-pressure, nothing dropped).
 *
 * A group the owner fails to store is not acknowledged: the connection is dropped, and the broker
 * delivers its messages again from the persistent session (clean=false) on the next connection.
 * Reconnects every `reconnectMs`, and subscribes again on every CONNACK (harmless, and it repairs a
 * session the broker lost).
 */
import type { ConnectionOptions } from 'node:tls';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import type { Logger } from '../common/log.ts';
import { rateLimitedWarn } from '../common/log.ts';
import { MqttSocket, mqttAddress } from '../common/mqtt-socket.ts';

/** A message of a group. */
export interface Delivery {
  readonly topic: string;
  readonly payload: Buffer;
}

export interface GroupSubscriberOptions {
  /** mqtt: or mqtts: */
  readonly url: string;
  readonly tls?: ConnectionOptions;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  /** Subscribed at QoS 1 on every CONNACK. */
  readonly filters: readonly string[];
  /** Unsubscribed on every CONNACK: filters this session had once and another connection now has. */
  readonly dropFilters?: readonly string[];
  /** Stores a group durably; resolves when it may be acknowledged. Never called twice at once. */
  readonly handle: (group: readonly Delivery[]) => Promise<void>;
  /** The most messages in a group (and in the read-ahead buffer). */
  readonly maxGroup?: number;
  /** The most payload bytes in a group (and in the read-ahead buffer); one larger message goes alone. */
  readonly maxGroupBytes?: number;
  readonly keepaliveSec?: number;
  readonly reconnectMs?: number;
  readonly connectTimeoutMs?: number;
  readonly logger: Logger;
}

export class GroupSubscriber {
  readonly #o: GroupSubscriberOptions;
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  readonly #maxGroup: number;
  readonly #maxBytes: number;
  #socket: MqttSocket | undefined;
  /** Read and not yet handed over, with the connection each came on (for its PUBACK). */
  #buffer: Array<{ packet: IPublishPacket; socket: MqttSocket }> = [];
  #bufferedBytes = 0;
  #draining: Promise<void> | undefined;
  #reconnect: NodeJS.Timeout | undefined;
  #subscribed: (() => void) | undefined;
  #stopped = false;
  #nextId = 0;

  constructor(options: GroupSubscriberOptions) {
    this.#o = options;
    this.#warn = rateLimitedWarn(options.logger);
    this.#maxGroup = options.maxGroup ?? 1000;
    this.#maxBytes = options.maxGroupBytes ?? 4 * 1024 * 1024;
    if (this.#maxGroup < 1 || this.#maxBytes < 1) throw new TypeError('maxGroup and maxGroupBytes must be positive');
    mqttAddress(options.url); // a wrong URL is refused at once
  }

  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  /** Connects (retrying until it works); resolves once the first SUBACK is in. */
  start(): Promise<void> {
    const subscribed = new Promise<void>((resolve) => (this.#subscribed = resolve));
    this.#connect();
    return subscribed;
  }

  /**
   * Lets the group being stored finish (and be acknowledged), then disconnects; what was read ahead
   * is not acknowledged and stays with the broker.
   */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#reconnect);
    await this.#draining;
    this.#buffer = [];
    this.#socket?.end();
  }

  #connect(): void {
    const { host, port, tls } = mqttAddress(this.#o.url);
    const { clientId } = this.#o;
    MqttSocket.open({
      host,
      port,
      ...(tls ? { tls: this.#o.tls ?? {} } : {}),
      clientId,
      username: this.#o.username,
      password: this.#o.password,
      clean: false, // the broker keeps QoS 1 messages for us while we are away
      keepaliveSec: this.#o.keepaliveSec ?? 60,
      connectTimeoutMs: this.#o.connectTimeoutMs ?? 10_000,
      onPackets: (packets, socket) => this.#read(packets, socket),
      onClose: (error) => {
        this.#dropBuffered();
        this.#warn(
          `mqtt-offline:${clientId}`,
          { clientId, ...(error ? { error: error.message } : {}) },
          'broker connection lost; reconnecting',
        );
        this.#retry();
      },
    }).then(
      (socket) => {
        if (this.#stopped) return socket.end();
        this.#socket = socket;
        const drop = this.#o.dropFilters ?? [];
        if (drop.length > 0) socket.write({ cmd: 'unsubscribe', messageId: this.#id(), unsubscriptions: [...drop] });
        socket.write({
          cmd: 'subscribe',
          messageId: this.#id(),
          subscriptions: this.#o.filters.map((topic) => ({ topic, qos: 1 })),
        });
        this.#o.logger.info({ url: this.#o.url, clientId }, 'connected to broker');
      },
      (error: unknown) => {
        this.#warn(
          `mqtt-error:${clientId}`,
          { clientId, error: error instanceof Error ? error.message : String(error) },
          'cannot connect to the broker; retrying',
        );
        this.#retry();
      },
    );
  }

  #retry(): void {
    if (this.#stopped) return;
    clearTimeout(this.#reconnect);
    this.#reconnect = setTimeout(() => this.#connect(), this.#o.reconnectMs ?? 1_000);
  }

  #read(packets: readonly Packet[], socket: MqttSocket): void {
    for (const packet of packets) {
      switch (packet.cmd) {
        case 'publish':
          this.#buffer.push({ packet, socket });
          this.#bufferedBytes += packet.payload.length;
          break;
        case 'suback':
          // 128 is a refusal (§3.9.3): the ACL no longer lets this account read those topics.
          if (packet.granted.some((g) => g === 128))
            this.#o.logger.error(
              { clientId: this.#o.clientId, filters: this.#o.filters, granted: packet.granted },
              'subscription refused',
            );
          this.#subscribed?.();
          this.#subscribed = undefined;
          break;
        default:
          break; // unsuback, pingresp
      }
    }
    if (this.#buffer.length >= this.#maxGroup || this.#bufferedBytes >= this.#maxBytes) socket.pause();
    this.#draining ??= this.#drain().finally(() => (this.#draining = undefined));
  }

  async #drain(): Promise<void> {
    while (this.#buffer.length > 0) {
      const group = this.#take();
      if (this.#buffer.length < this.#maxGroup && this.#bufferedBytes < this.#maxBytes) this.#socket?.resume();
      const socket = group[0]!.socket;
      try {
        await this.#o.handle(group.map(({ packet }) => ({ topic: packet.topic, payload: asBuffer(packet.payload) })));
      } catch (error) {
        this.#o.logger.error(
          { error: String(error), clientId: this.#o.clientId, messages: group.length },
          'could not store a group of messages; reconnecting without acknowledging them',
        );
        socket.end(true); // closed by us: no onClose, so the retry is ours
        this.#dropBuffered(socket);
        this.#retry();
        continue;
      }
      // QoS 0 needs no answer; QoS 2 is never sent to a QoS 1 subscription (§3.8.4).
      if (socket.connected)
        socket.write(...group.flatMap(({ packet }) => (packet.qos === 1 ? [puback(packet.messageId!)] : [])));
      // The next turn of the event loop: a whole socket read of messages would otherwise be handled on
      // promise jobs, which come before any I/O, and the InfluxDB writer's requests would wait behind
      // the stream (the queue grew at 36,000 points/s while 2,400 were written; npm run bench -- --parts ingest).
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The oldest buffered messages of one connection, within the caps (at least one). */
  #take(): Array<{ packet: IPublishPacket; socket: MqttSocket }> {
    const first = this.#buffer[0]!;
    let n = 0;
    let bytes = 0;
    for (const item of this.#buffer) {
      if (item.socket !== first.socket || n === this.#maxGroup) break;
      if (n > 0 && bytes + item.packet.payload.length > this.#maxBytes) break;
      bytes += item.packet.payload.length;
      n += 1;
    }
    this.#bufferedBytes -= bytes;
    return this.#buffer.splice(0, n);
  }

  /** Forgets what a closed connection had read ahead: the broker delivers it again. */
  #dropBuffered(socket?: MqttSocket): void {
    this.#buffer = socket
      ? this.#buffer.filter((item) => item.socket !== socket)
      : this.#buffer.filter((item) => item.socket.connected);
    this.#bufferedBytes = this.#buffer.reduce((n, item) => n + item.packet.payload.length, 0);
  }

  #id(): number {
    this.#nextId = (this.#nextId % 65_535) + 1;
    return this.#nextId;
  }
}

function puback(messageId: number): Packet {
  return { cmd: 'puback', messageId };
}

function asBuffer(payload: string | Buffer): Buffer {
  return Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
}
