/**
 * One MQTT 3.1.1 connection on a raw socket (TCP, or TLS for mqtts:), its packets encoded and parsed
 * by mqtt-packet (the codec of MQTT.js and aedes): CONNECT and its CONNACK, PINGREQ while the
 * connection is idle, and the packets read handed over together for each socket read, so that the
 * owner sees at once everything that has arrived. It does not reconnect: its owner does
 * (simulators/lean-client.ts for load, ingest/group-subscriber.ts for the ingest).
 *
 * MQTT.js keeps stores, timers and streams for each connection and hands a subscriber one message
 * at a time; this is the part its owners need and nothing else.
 */
import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import mqttPacket, { type Packet } from 'mqtt-packet';

export interface MqttSocketOptions {
  readonly host: string;
  readonly port: number;
  /** TLS (mqtts:) with these options; Node's trusted CAs (and NODE_EXTRA_CA_CERTS) by default. */
  readonly tls?: ConnectionOptions;
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  readonly clean?: boolean;
  readonly keepaliveSec?: number;
  readonly will?: { readonly topic: string; readonly payload: Buffer; readonly qos: 0 | 1; readonly retain: boolean };
  readonly connectTimeoutMs?: number;
  /**
   * The packets of one socket read, after the CONNACK, in order. The first may come before open()
   * resolves (a persistent session's messages follow the CONNACK at once): hence the connection.
   */
  readonly onPackets: (packets: Packet[], connection: MqttSocket) => void;
  /** Once, when an accepted connection is lost (closed by the broker, a socket error, no PINGRESP); not after end(). */
  readonly onClose?: (error?: Error) => void;
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

/** The address and transport of an mqtt: (or tcp:) or mqtts: (or ssl:) URL. */
export function mqttAddress(url: string): { host: string; port: number; tls: boolean } {
  const u = new URL(url);
  const tls = u.protocol === 'mqtts:' || u.protocol === 'ssl:';
  if (!tls && u.protocol !== 'mqtt:' && u.protocol !== 'tcp:')
    throw new TypeError(`not an mqtt: or mqtts: URL: ${u.protocol}//${u.host}`);
  return { host: u.hostname, port: u.port ? Number(u.port) : tls ? 8883 : 1883, tls };
}

export class MqttSocket {
  readonly #socket: Socket;
  readonly #keepaliveMs: number;
  #lastWrite = 0;
  /** When the PINGREQ still unanswered was sent. */
  #pingSent: number | undefined;
  #ping: NodeJS.Timeout | undefined;
  #paused = false;
  #connected = false;

  /** Resolves on an accepting CONNACK; rejects with ConnectRefused, a socket error or a timeout. */
  static open(o: MqttSocketOptions): Promise<MqttSocket> {
    return new Promise((resolve, reject) => {
      const socket = o.tls
        ? tlsConnect({ servername: o.host, ...o.tls, host: o.host, port: o.port })
        : tcpConnect({ host: o.host, port: o.port });
      socket.setNoDelay(true);
      const connection = new MqttSocket(socket, (o.keepaliveSec ?? 60) * 1000);
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      const timer = setTimeout(() => fail(new Error('CONNACK timeout')), o.connectTimeoutMs ?? 10_000);
      let settled = false;
      let closeError: Error | undefined;
      const fail = (error: Error) => {
        closeError ??= error;
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(error);
        }
        socket.destroy();
      };
      let read: Packet[] = [];
      parser.on('packet', (packet: Packet) => {
        if (connection.#connected) read.push(packet);
        else if (packet.cmd !== 'connack') fail(new Error(`${packet.cmd} before CONNACK`));
        else if ((packet.returnCode ?? 0) !== 0) fail(new ConnectRefused(packet.returnCode ?? 0));
        else {
          settled = true;
          clearTimeout(timer);
          connection.#connected = true;
          connection.#startKeepalive((error) => fail(error));
          resolve(connection);
        }
      });
      parser.on('error', (error: Error) => fail(error));
      socket.on('data', (chunk: Buffer) => {
        parser.parse(chunk);
        if (read.length === 0) return;
        const packets = read;
        read = [];
        if (packets.some((p) => p.cmd === 'pingresp')) connection.#pingSent = undefined;
        o.onPackets(packets, connection);
      });
      socket.on('error', (error: Error) => fail(error));
      socket.on('close', () => {
        const was = connection.#connected;
        connection.#connected = false;
        clearInterval(connection.#ping);
        if (!settled) fail(closeError ?? new Error('connection closed before CONNACK'));
        else if (was) o.onClose?.(closeError);
      });
      connection.write({
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

  private constructor(socket: Socket, keepaliveMs: number) {
    this.#socket = socket;
    this.#keepaliveMs = keepaliveMs;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Writes packets in one socket write (one TCP segment when they fit). */
  write(...packets: Packet[]): void {
    if (this.#socket.destroyed || packets.length === 0) return;
    this.#lastWrite = Date.now();
    this.#socket.write(
      packets.length === 1
        ? mqttPacket.generate(packets[0]!)
        : Buffer.concat(packets.map((p) => mqttPacket.generate(p))),
    );
  }

  /** Stops reading the socket (back-pressure: TCP holds the broker), until resume. */
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#socket.pause();
  }

  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    // A PINGRESP could not be read while paused: its wait starts again now.
    if (this.#pingSent !== undefined) this.#pingSent = Date.now();
    this.#socket.resume();
  }

  /** A clean DISCONNECT (the broker drops the will), or `abrupt`: as if the network were lost. */
  end(abrupt = false): void {
    clearInterval(this.#ping);
    if (!abrupt && this.#connected) this.write({ cmd: 'disconnect' });
    this.#connected = false;
    if (abrupt) this.#socket.destroy();
    else this.#socket.end();
  }

  /**
   * MQTT 3.1.1 §3.1.2.10: the client sends a packet at least once per keep-alive period (PINGREQ when
   * it has nothing else to say) and closes the connection when no PINGRESP comes back in reasonable
   * time: here, one period. While reading is paused a PINGRESP cannot be seen, so none is awaited.
   */
  #startKeepalive(dead: (error: Error) => void): void {
    const period = this.#keepaliveMs;
    this.#ping = setInterval(() => {
      const now = Date.now();
      if (this.#pingSent !== undefined && !this.#paused && now - this.#pingSent > period)
        return dead(new Error('no PINGRESP within the keep-alive period'));
      if (this.#pingSent === undefined && now - this.#lastWrite >= period / 2) {
        this.#pingSent = now;
        this.write({ cmd: 'pingreq' });
      }
    }, period / 4);
    this.#ping.unref();
  }
}
