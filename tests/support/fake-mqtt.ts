/**
 * A scripted MQTT 3.1.1 server on a real loopback socket, for what a real broker does not let a test
 * decide: exactly which PUBLISH packets arrive in one read, when (and in which read) each PUBACK comes
 * back, a PINGREQ left unanswered. It answers CONNECT, SUBSCRIBE, UNSUBSCRIBE and (unless told not
 * to) PINGREQ, and records every packet a client sends, with the socket read it came in.
 */
import { createServer, type Server, type Socket } from 'node:net';
import mqttPacket, { type IConnectPacket, type Packet } from 'mqtt-packet';

export interface Received {
  readonly packet: Packet;
  /** The socket read it came in (numbered from 1 on each connection). */
  readonly read: number;
}

export class FakeConnection {
  readonly received: Received[] = [];
  connect: IConnectPacket | undefined;
  closed = false;
  /** Runs on each packet as it arrives (before the server answers it). */
  onPacket: ((packet: Packet) => void) | undefined;
  readonly #socket: Socket;

  constructor(socket: Socket) {
    this.#socket = socket;
  }

  /** Writes packets in one socket write: the client reads them together. */
  write(...packets: Packet[]): void {
    this.#socket.write(Buffer.concat(packets.map((p) => mqttPacket.generate(p))));
  }

  /** QoS 1 PUBLISH packets with ids from `firstId`, in one write. */
  publish(messages: ReadonlyArray<{ topic: string; payload: string | Buffer }>, firstId = 1, dup = false): void {
    this.write(
      ...messages.map((m, i): Packet => ({
        cmd: 'publish',
        topic: m.topic,
        payload: m.payload,
        qos: 1,
        dup,
        retain: false,
        messageId: firstId + i,
      })),
    );
  }

  /** The ids of the PUBACKs received, in order. */
  get pubacks(): number[] {
    return this.received.flatMap(({ packet }) => (packet.cmd === 'puback' ? [packet.messageId ?? 0] : []));
  }

  packets(cmd: Packet['cmd']): Packet[] {
    return this.received.filter(({ packet }) => packet.cmd === cmd).map(({ packet }) => packet);
  }

  drop(): void {
    this.#socket.destroy();
  }
}

export class FakeMqttServer {
  readonly connections: FakeConnection[] = [];
  /** Answer PINGREQ with PINGRESP (a dead broker does not). */
  answerPings = true;
  readonly #server: Server;

  private constructor(server: Server) {
    this.#server = server;
  }

  static async start(): Promise<FakeMqttServer> {
    const server = createServer();
    const fake = new FakeMqttServer(server);
    server.on('connection', (socket) => fake.#accept(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  get url(): string {
    const address = this.#server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return `mqtt://127.0.0.1:${address.port}`;
  }

  /** The connections of one client id, oldest first. */
  of(clientId: string): FakeConnection[] {
    return this.connections.filter((c) => c.connect?.clientId === clientId);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.drop();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #accept(socket: Socket): void {
    const connection = new FakeConnection(socket);
    this.connections.push(connection);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let read = 0;
    parser.on('packet', (packet: Packet) => {
      connection.received.push({ packet, read });
      connection.onPacket?.(packet);
      switch (packet.cmd) {
        case 'connect':
          connection.connect = packet;
          connection.write({ cmd: 'connack', returnCode: 0, sessionPresent: false });
          return;
        case 'subscribe':
          connection.write({
            cmd: 'suback',
            messageId: packet.messageId,
            granted: packet.subscriptions.map((s) => s.qos),
          });
          return;
        case 'unsubscribe':
          connection.write({ cmd: 'unsuback', messageId: packet.messageId, granted: [] });
          return;
        case 'pingreq':
          if (this.answerPings) connection.write({ cmd: 'pingresp' });
          return;
        case 'publish':
          if (packet.qos === 1) connection.write({ cmd: 'puback', messageId: packet.messageId });
          return;
        default:
          return;
      }
    });
    socket.on('data', (chunk: Buffer) => {
      read += 1;
      parser.parse(chunk);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => (connection.closed = true));
  }
}
