/**
 * A minimal MQTT 3.1.1 client for load generation: CONNECT (credentials, will, persistent session),
 * PUBLISH at QoS 0/1 with their PUBACKs, SUBSCRIBE, PINGREQ when idle, nothing else. Packets are
 * encoded and parsed by mqtt-packet (the codec of MQTT.js and aedes). MQTT.js keeps stores, timers
 * and streams for each connection, which costs more CPU per message than the broker under test
 * spends; this one lets one process drive tens of thousands of watches. Demos and tests keep using
 * MQTT.js (reconnection, offline queue): this client does not reconnect, its owner does.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface LeanOptions {
  readonly host: string;
  readonly port: number;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  readonly clean?: boolean;
  readonly keepaliveSec?: number;
  readonly will?: { readonly topic: string; readonly payload: Buffer; readonly qos: 0 | 1; readonly retain: boolean };
  readonly connectTimeoutMs?: number;
}

/** CONNACK return codes of MQTT 3.1.1 (section 3.2.2.3), for a refusal's reason. */
const REFUSALS: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad username or password',
  5: 'not authorized',
};

export class ConnectRefused extends Error {
  override readonly name = 'ConnectRefused';
  constructor(readonly returnCode: number) {
    super(REFUSALS[returnCode] ?? `refused (${returnCode})`);
  }
}

export class LeanMqttConnection {
  readonly #o: LeanOptions;
  #socket: Socket | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, () => void>();
  #lastWrite = 0;
  #ping: NodeJS.Timeout | undefined;
  #onMessage: ((topic: string, payload: Buffer) => void) | undefined;
  #onClose: ((error?: Error) => void) | undefined;
  connected = false;

  constructor(options: LeanOptions) {
    this.#o = options;
  }

  get clientId(): string {
    return this.#o.clientId;
  }

  /** Resolves on an accepting CONNACK; rejects with ConnectRefused, a socket error or a timeout. */
  connect(): Promise<void> {
    const o = this.#o;
    return new Promise((resolve, reject) => {
      const socket = tcpConnect({ host: o.host, port: o.port, noDelay: true });
      this.#socket = socket;
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      const timer = setTimeout(() => fail(new Error('CONNACK timeout')), o.connectTimeoutMs ?? 10_000);
      let settled = false;
      const fail = (error: Error) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(error);
        }
        socket.destroy();
      };
      parser.on('packet', (packet: Packet) => {
        if (packet.cmd === 'connack') {
          const rc = packet.returnCode ?? 0;
          if (rc !== 0) return fail(new ConnectRefused(rc));
          settled = true;
          clearTimeout(timer);
          this.connected = true;
          const keepaliveMs = (o.keepaliveSec ?? 60) * 1000;
          this.#ping = setInterval(() => {
            if (Date.now() - this.#lastWrite > keepaliveMs / 2) this.#write({ cmd: 'pingreq' });
          }, keepaliveMs / 4);
          this.#ping.unref();
          resolve();
        } else this.#packet(packet);
      });
      parser.on('error', (error: Error) => fail(error));
      socket.on('data', (chunk) => parser.parse(chunk));
      socket.on('error', (error) => fail(error));
      socket.on('close', () => {
        const was = this.connected;
        this.connected = false;
        clearInterval(this.#ping);
        this.#pending.clear();
        if (!settled) fail(new Error('connection closed before CONNACK'));
        else if (was) this.#onClose?.();
      });
      this.#write({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: o.clientId,
        username: o.username,
        password: Buffer.from(o.password),
        clean: o.clean ?? true,
        keepalive: o.keepaliveSec ?? 60,
        ...(o.will
          ? { will: { topic: o.will.topic, payload: o.will.payload, qos: o.will.qos, retain: o.will.retain } }
          : {}),
      });
    });
  }

  /** QoS 1: `acked` runs on the PUBACK (never, if the connection drops first). */
  publish(topic: string, payload: Buffer | string, qos: 0 | 1, acked?: () => void, retain = false): void {
    if (!this.connected) return;
    if (qos === 0) return this.#write({ cmd: 'publish', topic, payload, qos: 0, retain, dup: false });
    const messageId = this.#id();
    this.#pending.set(messageId, acked ?? noop);
    this.#write({ cmd: 'publish', topic, payload, qos: 1, retain, dup: false, messageId });
  }

  subscribe(filters: readonly string[], onMessage: (topic: string, payload: Buffer) => void): void {
    this.#onMessage = onMessage;
    this.#write({
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
    clearInterval(this.#ping);
    if (!abrupt && this.connected) this.#write({ cmd: 'disconnect' });
    this.connected = false;
    if (abrupt) this.#socket?.destroy();
    else this.#socket?.end();
  }

  #packet(packet: Packet): void {
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
        if (p.qos === 1) this.#write({ cmd: 'puback', messageId: p.messageId! });
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

  #write(packet: Packet): void {
    this.#lastWrite = Date.now();
    this.#socket?.write(mqttPacket.generate(packet));
  }
}

function noop(): void {}
