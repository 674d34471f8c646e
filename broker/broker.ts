/**
 * The Vigie MQTT broker: aedes with device/service authentication, topic ACLs, protocol validation
 * of every device message, durable persistence (QoS 1 sessions, queued and retained messages and
 * wills survive a restart; see persistence.ts), over TCP and WebSocket.
 */
import { Aedes, type Client, type PublishPacket, type Subscription } from 'aedes';
import MQEmitter from 'mqemitter';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import type { Duplex } from 'node:stream';
import { once } from 'node:events';
import { DurablePersistence } from './persistence.ts';
import { isAlarmFilter, isAlarmTraffic, withAlarmLane } from './alarm-lane.ts';
import { deviceTopic, parseDeviceTopic } from '../devices/topics.ts';
import { encodeJson, parseDeviceMessage, qosNotice, rejectionFor, parseStatus } from '../devices/protocol.ts';
import type { Rejection } from '../devices/payloads.ts';
import type { DeviceDirectory } from '../web/directory.ts';
import { rateLimitedWarn, type Logger } from '../common/log.ts';
import { authorizePublish, authorizeSubscribe, type Principal } from './acl.ts';
import { createBrokerMetrics, type BrokerMetrics } from './metrics.ts';
import { RefusalDelay, type RefusalDelayOptions } from './refusal-delay.ts';
import { Authenticator, Refusal } from './authentication.ts';
import { PublishPacing } from './publish-pacing.ts';
import { dropReasonOf } from './listener-errors.ts';
import { limitPacketSize } from './packet-size-limit.ts';
import { ReadBudget } from './read-budget.ts';
import { batchWrites, type WriteBatch } from './write-batching.ts';
import { QOS0_BACKLOG_BYTES, shedQos0 } from './qos0-shedding.ts';
import { completeSinkPublishes, SINK_TOPIC } from './sink.ts';
import { MqttWebSocketListener } from './ws-listener.ts';
import { MAX_PACKET_BYTES } from '../devices/limits.ts';
import { serveMetrics } from '../common/http-metrics.ts';

/**
 * Outcome of the publish check for an accepted device message that must be stored for subscribers
 * before it is acknowledged: forwarded at `qos`, then `afterwards` runs.
 */
interface ForwardFirst {
  readonly qos: 1 | 2;
  readonly afterwards?: () => void;
}

/** Messages mqemitter routes at once (aedes' default); the rest wait in its queue. */
export const MQ_CONCURRENCY = 100;

/**
 * Readings waiting for a routing slot past which devices' connections are no longer read but for
 * their alarms (alarm-lane.ts, withAlarmLane): ten times the slots, a few megabytes at most.
 */
export const ROUTER_FULL = 10 * MQ_CONCURRENCY;

/** A client's dedupe table that never reports a duplicate (see preConnect). */
const NEVER_DUPLICATE: Record<string, number> = new Proxy(
  {},
  { get: () => 0, set: () => true, deleteProperty: () => true },
);

/** Chunks read from devices' TCP connections per turn (read-budget.ts): a few dozen uploads, some tens of ms here. */
export const READ_CHUNKS_PER_TURN = 32;

export interface BrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly wsPort: number;
  readonly metricsPort: number;
  /** TCP_NODELAY on client sockets (default true): small urgent messages are not held by Nagle's algorithm. */
  readonly noDelay?: boolean;
  /**
   * Chunks read from devices' TCP connections per turn of the event loop before the others wait for
   * the next turns (read-budget.ts; alarms are read at once; services are never held). Default
   * READ_CHUNKS_PER_TURN.
   */
  readonly readChunksPerTurn?: number;
  readonly persistenceDir: string;
  /** This broker's name in $SYS topics and logs; each process adds a random suffix (see processBrokerId). */
  readonly id?: string;
  readonly registry: DeviceDirectory;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** How refusals of wrong credentials are held back, per source address (defaults: REFUSAL_DELAY_DEFAULTS). */
  readonly refusalDelay?: Omit<RefusalDelayOptions, 'clock'>;
  /**
   * Each device's publish rate (token bucket, enforced by back-pressure; see publish-pacing.ts), or
   * false for none (capacity benchmarks with closed-loop publishers). Service accounts are not paced.
   */
  readonly publishRate?: { readonly perSecond: number; readonly burst: number } | false;
  /**
   * How long a new connection may take to send its CONNECT (aedes' connectTimeout; on the WebSocket
   * listener also its HTTP request head) before it is closed. Default CONNECT_TIMEOUT_MS.
   */
  readonly connectTimeoutMs?: number;
  /**
   * How long a connection whose buffer is full may go without draining (its peer reads nothing)
   * before it is closed (aedes' drainTimeout; 0: never). Its deliveries then fail and free their
   * routing slots, and a persistent session keeps its messages for the next connection. Default
   * DRAIN_TIMEOUT_MS.
   */
  readonly drainTimeoutMs?: number;
  /**
   * How often the broker looks in the registry for devices revoked since its last look and closes
   * their connections (the web service revokes in the shared registry; a revoked device is refused
   * at CONNECT but would otherwise keep a connection it already has). Default REVOCATION_CHECK_MS.
   */
  readonly revocationCheckMs?: number;
}

export const REVOCATION_CHECK_MS = 5_000;
/**
 * Each look also covers this much before the previous one: revocations are stamped with the web
 * service's clock, which may be a little behind this one. Closing a connection twice is harmless.
 */
const REVOCATION_OVERLAP_MS = 60_000;

export const CONNECT_TIMEOUT_MS = 10_000;
/** aedes' own default: a subscriber frozen this long is cut rather than holding the broker back. */
export const DRAIN_TIMEOUT_MS = 60_000;

/**
 * Far above what a watch sends (a reading every few seconds, a backfill of up to 500 readings in one
 * message, a reconnection's few hundred queued messages at once), far below what one client would
 * need to take the broker from everyone else.
 */
export const PUBLISH_RATE_DEFAULTS = { perSecond: 20, burst: 200 } as const;

export interface Ports {
  readonly mqtt: number;
  readonly ws: number;
  readonly metrics: number;
}

/**
 * The id aedes stamps on this process's messages: the configured name and a random suffix.
 *
 * aedes names a message by its broker's id and a counter that every process starts again at zero,
 * and our persistence keys stored messages by that name. A broker that came back under the same id
 * numbered its messages 1, 2, 3... again, so a fall acknowledged after a restart collided with one
 * queued before it and was not stored: lost after its PUBACK. aedes' own default is a fresh UUID
 * per process for that reason. The wills of sessions that died with an earlier process are then
 * published as orphans (see #authorizePublish), as MQTT wants.
 */
function processBrokerId(name: string): string {
  return `${name}-${randomBytes(6).toString('hex')}`;
}

export class VigieBroker {
  readonly metrics: BrokerMetrics;
  readonly #aedes: Aedes;
  readonly #persistence: { destroy(): Promise<void> };
  readonly #mq: { close(cb: () => void): void };
  readonly #options: BrokerOptions;
  readonly #principals = new WeakMap<Client, Principal>();
  /** The connected devices' clients, by device id (a device connects once: its client id is its id). */
  readonly #devices = new Map<string, Client>();
  readonly #authenticator: Authenticator;
  /** The transport and remote address of each connection aedes handles. */
  readonly #connections = new WeakMap<object, { transport: Transport; address: string }>();
  /** Each connection's write batching (write-batching.ts), and the clients granted a filter that is not alarms only. */
  readonly #batches = new WeakMap<object, WriteBatch>();
  readonly #carriesMoreThanAlarms = new WeakSet<Client>();
  readonly #pacing: PublishPacing | undefined;
  /** Open TCP connections: those still authenticating are not aedes' clients yet, and close() ends them too. */
  readonly #sockets = new Set<Socket>();
  readonly #readBudget: ReadBudget;
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  readonly #servers: { tcp: TcpServer; ws: MqttWebSocketListener };
  #metricsServer: HttpServer | undefined;
  #revocations: ReturnType<typeof setInterval> | undefined;
  #closed = false;

  private constructor(
    options: BrokerOptions,
    aedes: Aedes,
    persistence: { destroy(): Promise<void> },
    mq: { close(cb: () => void): void },
    metrics: BrokerMetrics,
    readBudget: ReadBudget,
  ) {
    this.#options = options;
    this.#readBudget = readBudget;
    this.#aedes = aedes;
    this.#persistence = persistence;
    this.#mq = mq;
    this.metrics = metrics;
    this.#warn = rateLimitedWarn(options.logger);
    this.#authenticator = new Authenticator({
      registry: options.registry,
      metrics,
      warn: this.#warn,
      logger: options.logger,
      refusalDelay: new RefusalDelay({ ...options.refusalDelay, clock: this.#now }),
      addressOf: (client) => this.#connections.get(client.conn)?.address ?? 'unknown',
    });
    const rate = options.publishRate ?? PUBLISH_RATE_DEFAULTS;
    this.#pacing =
      rate === false
        ? undefined
        : new PublishPacing({
            ...rate,
            clock: this.#now,
            onWaiting: (delta) => {
              this.metrics.publishesWaiting.inc(delta);
              if (delta > 0) this.metrics.publishesPaced.inc(delta);
            },
          });
    const tcp = createTcpServer((socket: Socket) => {
      socket.setNoDelay(options.noDelay ?? true); // alarms are small and urgent: do not wait for Nagle's algorithm
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      this.#readBudget.apply(socket); // before the size limit, which must see each chunk once
      limitPacketSize(socket, MAX_PACKET_BYTES);
      this.#handle(socket, 'tcp', socket.remoteAddress ?? 'unknown');
    });
    const ws = new MqttWebSocketListener({
      maxPacketBytes: MAX_PACKET_BYTES,
      handshakeTimeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      onConnection: (stream, address) => this.#handle(stream, 'websocket', address),
      onRefused: (reason, address, detail) => {
        this.metrics.upgradesRefused.inc({ reason });
        this.#warn(`upgrade:${reason}:${address}`, { address, reason, detail }, 'WebSocket upgrade refused');
      },
    });
    this.#servers = { tcp, ws };
  }

  static async create(options: BrokerOptions): Promise<VigieBroker> {
    // Alarms commit at once, not at the end of the turn (persistence.ts).
    const persistence = new DurablePersistence(join(options.persistenceDir, 'broker.db'), { urgent: isAlarmTraffic });
    const mq = MQEmitter({ concurrency: MQ_CONCURRENCY, matchEmptyLevels: true }); // [MQTT-4.7.1-3], as aedes' own
    const waiting = withAlarmLane(mq, { full: ROUTER_FULL, onRoom: () => readBudget.room() });
    // mqemitter runs the next queued message from the callback of the one before; a message nobody
    // subscribes to (readings while the ingest is away, $SYS) completes synchronously, so a
    // backlog of them recursed once per message: a burst of 20,000 QoS 1 messages in flight crashed
    // the broker with "Maximum call stack size exceeded". A listener on every topic that answers in a
    // microtask makes each step start from an empty stack.
    mq.on('#', (_packet, done) => queueMicrotask(done));
    const aedes = await Aedes.createBroker({
      id: processBrokerId(options.id ?? 'vigie-broker'),
      persistence,
      mq,
      heartbeatInterval: 60_000,
      connectTimeout: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
      drainTimeout: options.drainTimeoutMs ?? DRAIN_TIMEOUT_MS,
    });
    completeSinkPublishes(aedes);
    const metrics = createBrokerMetrics({
      routingWaiting: () => waiting.length,
      connectionsBacklogged: () => backloggedConnections(aedes),
      connectionsWaitingToRead: () => readBudget.waiting,
      messagesQueued: () => persistence.queuedMessages(),
    });
    const readBudget = new ReadBudget(options.readChunksPerTurn ?? READ_CHUNKS_PER_TURN, {
      onHeld: () => metrics.readsHeld.inc(),
      full: () => waiting.full,
    });
    const broker = new VigieBroker(options, aedes, persistence, mq, metrics, readBudget);
    broker.#install();
    return broker;
  }

  readonly #now = (): number => (this.#options.clock ?? Date.now)();

  async listen(): Promise<Ports> {
    const { host } = this.#options;
    const listen = async (server: TcpServer | HttpServer, port: number, name: string): Promise<number> => {
      server.listen(port, host);
      await once(server, 'listening');
      // After start-up a server reports failures to accept (EMFILE when out of file descriptors):
      // logged, and the broker keeps serving the connections it has.
      server.on('error', (error: Error) =>
        this.#options.logger.error({ listener: name, error: error.message }, 'listener error'),
      );
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
      return address.port;
    };
    const ports: { mqtt: number; ws: number; metrics: number } = {
      mqtt: await listen(this.#servers.tcp, this.#options.port, 'tcp'),
      ws: await listen(this.#servers.ws.http, this.#options.wsPort, 'websocket'),
      metrics: 0,
    };
    const served = await serveMetrics(this.metrics.registry, host, this.#options.metricsPort, () => !this.#closed);
    this.#metricsServer = served.server;
    ports.metrics = served.port;
    this.#watchRevocations();
    this.#options.logger.info({ ...ports, id: this.#aedes.id }, 'broker listening');
    return ports;
  }

  /** Stops accepting, disconnects everyone, flushes persistence. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#revocations);
    this.#authenticator.close();
    this.#pacing?.close();
    // Stop accepting first; the TCP server's close completes only when its connections are gone, which
    // happens when aedes closes its clients, so both are awaited together. WebSockets are cut at once.
    const closeServer = (s: TcpServer | HttpServer) => new Promise<void>((resolve) => s.close(() => resolve()));
    const servers = Promise.all([
      closeServer(this.#servers.tcp),
      this.#servers.ws.close(),
      ...(this.#metricsServer ? [closeServer(this.#metricsServer)] : []),
    ]);
    await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy(); // not connected yet (a CONNECT awaited or refused)
    await servers;
    await this.#persistence.destroy();
    await new Promise<void>((resolve) => this.#mq.close(resolve));
    this.#options.logger.info('broker closed');
  }

  #install(): void {
    const aedes = this.#aedes;
    const { logger } = this.#options;
    aedes.preConnect = (client, packet, done) => {
      // aedes drops a message whose broker counter is lower than the last one delivered to the client
      // (lib/client.js dedupe, meant for replays between clustered brokers). Counters are taken when a
      // message is published, but forwarded-first messages reach subscribers only once stored for every
      // persistent session, so a later, faster message (an alert change) can overtake them: the older
      // one would then be dropped, after its PUBACK. Delivery order is not MQTT's promise across
      // publishers anyway; at-least-once is, and the ingest removes duplicates by (device, seq).
      Reflect.set(client, 'duplicates', NEVER_DUPLICATE);
      shedQos0(client, {
        maxBacklogBytes: QOS0_BACKLOG_BYTES,
        onDropped: () => {
          this.metrics.qos0Dropped.inc();
          this.#warn(
            `qos0-dropped:${client.id}`,
            { clientId: client.id },
            'QoS 0 messages dropped: the subscriber reads more slowly than they come',
          );
        },
      });
      if (packet.will) this.#authenticator.noteWill(client, packet.will);
      done(null, true);
    };
    aedes.authenticate = (client, username, password, done) =>
      this.#authenticator.authenticate(client, username, password, (error, principal) => {
        if (principal === null) return done(error, false);
        this.#principals.set(client, principal);
        if (principal.kind === 'device') this.#readBudget.device(client.conn);
        done(null, true);
      });
    aedes.authorizePublish = (client, packet, done) => {
      const principal = client === null ? undefined : this.#principals.get(client);
      if (this.#pacing && principal?.kind === 'device')
        return this.#pacing.admit(principal.deviceId, () => this.#publish(client, packet, done));
      this.#publish(client, packet, done);
    };
    aedes.authorizeSubscribe = (client, sub, done) => done(null, this.#authorizeSubscribe(client, sub));
    aedes.on('client', (client) => {
      const principal = this.#principals.get(client);
      if (principal?.kind === 'device') this.#devices.set(principal.deviceId, client);
      this.metrics.clientsConnected.inc();
      logger.debug({ clientId: client.id }, 'client connected');
    });
    aedes.on('clientDisconnect', (client) => {
      const principal = this.#principals.get(client);
      if (principal?.kind === 'device' && this.#devices.get(principal.deviceId) === client)
        this.#devices.delete(principal.deviceId);
      this.metrics.clientsConnected.dec();
      logger.debug({ clientId: client.id }, 'client disconnected');
    });
    // Every connection that ends on an error: malformed or oversized packets, no CONNECT in time,
    // WebSocket protocol errors, the network. aedes has closed it already; it is counted and logged.
    aedes.on('clientError', (client, error) => this.#connectionDropped(client, error));
    aedes.on('connectionError', (client, error) => this.#connectionDropped(client, error));
  }

  /** Closes, every revocationCheckMs, the connections of devices revoked since the previous look. */
  #watchRevocations(): void {
    let since = this.#now();
    this.#revocations = setInterval(() => {
      const now = this.#now();
      let revoked: string[];
      try {
        revoked = this.#options.registry.revokedSince(since - REVOCATION_OVERLAP_MS);
      } catch (error) {
        return this.#warn('revocations', { error: String(error) }, 'revocation check failed');
      }
      since = now;
      for (const deviceId of revoked) {
        const client = this.#devices.get(deviceId);
        if (!client) continue;
        this.metrics.revokedDisconnected.inc();
        this.#options.logger.info({ deviceId }, 'revoked device disconnected');
        client.close();
      }
    }, this.#options.revocationCheckMs ?? REVOCATION_CHECK_MS);
    this.#revocations.unref();
  }

  /**
   * Serves an MQTT connection already open as a byte stream within this process, authenticated and
   * checked as any other. Tests use it for a subscriber that stops reading: between two in-memory
   * ends, the broker's writes wait as soon as the reader's buffer is full, where a socket's kernel
   * buffers would go on taking megabytes for a while.
   */
  accept(stream: Duplex, address: string): void {
    this.#handle(stream, 'stream', address);
  }

  /** Hands a connection to aedes, remembering where it comes from. */
  #handle(conn: Socket | Duplex, transport: Transport, address: string): void {
    this.#connections.set(conn, { transport, address });
    this.#batches.set(conn, batchWrites(conn));
    this.#aedes.handle(conn);
  }

  #connectionDropped(client: Client, error: Error): void {
    if (error instanceof Refusal) return; // a refused CONNECT, counted by the Authenticator
    // Once closed, a connection's late errors (a PUBACK for a publish handled after it closed) are
    // not why it ended.
    if (client.closed) return;
    const reason = dropReasonOf(error);
    const { transport, address } = this.#connections.get(client.conn) ?? { transport: 'tcp', address: 'unknown' };
    this.metrics.connectionsDropped.inc({ transport, reason });
    this.#warn(
      `drop:${reason}:${address}`,
      { transport, address, clientId: client.id ?? undefined, reason, error: error.message.slice(0, 200) },
      'connection closed',
    );
  }

  /** Checks a publish and, when it must be stored before it is acknowledged, forwards it first. */
  #publish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const { logger } = this.#options;
    const outcome = this.#authorizePublish(client, packet);
    if (outcome === null || outcome instanceof Error) return done(outcome);
    // Only a device's publish gets here, and a device publishes alarms only as its events (acl.ts).
    const stored = isAlarmTraffic(packet) ? this.metrics.alarmStoreSeconds.startTimer() : undefined;
    // aedes acknowledges QoS 1 before it stores the message for subscribers (lib/handlers/publish.js).
    // We forward it first: publish() calls back once it sits in every persistent session's queue on
    // disk. Only then is the original acknowledged, and routed to the sink so it is not delivered twice.
    this.#aedes.publish(
      {
        cmd: 'publish',
        topic: packet.topic,
        payload: packet.payload,
        qos: outcome.qos,
        retain: packet.retain,
        dup: false,
      },
      (error) => {
        if (error) {
          // No PUBACK: the device sends it again (a QoS 0 event cannot be, and is logged as lost).
          logger.error(
            { clientId: client?.id, topic: packet.topic, qos: packet.qos, error: error.message },
            'could not store a message for its subscribers',
          );
          return done(error);
        }
        stored?.();
        packet.topic = SINK_TOPIC;
        packet.retain = false;
        done(null); // aedes writes the PUBACK now (lib/handlers/publish.js)
        // A fall's PUBACK leaves now, not at the end of the turn: the watch stops retrying and
        // shows the senior that help is called.
        if (stored && client) this.#batches.get(client.conn)?.flush();
        outcome.afterwards?.();
      },
    );
  }

  #authorizePublish(client: Client | null, packet: PublishPacket): Error | null | ForwardFirst {
    // mqtt-packet hands a Buffer; only a string (a publish made in this process) is converted.
    const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    if (client === null) {
      // The will of a session that died with a previous broker: allowed only as a status `offline`.
      const parsed = parseDeviceTopic(packet.topic);
      const ok = parsed?.channel === 'status' && parseStatus(payload).ok && payload.toString() === 'offline';
      return ok ? null : new Error('orphan will refused');
    }
    const principal = this.#principals.get(client);
    if (!principal) return new Error('not authenticated');
    const decision = authorizePublish(principal, packet.topic, packet.qos);
    if (!decision.allowed) {
      this.metrics.publishesRefused.inc({ reason: decision.denial });
      this.#warn(
        `publish:${decision.denial}:${client.id}`,
        { clientId: client.id, topic: packet.topic, reason: decision.denial },
        `publish refused, disconnecting: ${decision.reason}`,
      );
      return new Error(decision.reason);
    }
    if (principal.kind !== 'device') return null;
    const parsed = parseDeviceMessage(packet.topic, payload, { now: this.#now() });
    if (parsed.ok) {
      const message = parsed.value;
      this.metrics.messagesAccepted.inc({ channel: message.channel });
      if (packet.qos > 0) return { qos: packet.qos === 2 ? 2 : 1 };
      if (message.channel !== 'events') return null; // QoS 0 readings are best effort, as the device chose
      // A fall or SOS that arrived is an alarm, whatever its QoS: it is kept for the ingest like a QoS 1
      // message, and the device is told that at QoS 0 the next one may not arrive at all.
      const { deviceId } = principal;
      const { seq, type } = message.event;
      this.metrics.eventsAtQos0.inc();
      this.#warn(
        `qos0-event:${deviceId}`,
        { deviceId, seq, type },
        'event published at QoS 0: taken at QoS 1, device told to use QoS 1',
      );
      return { qos: 1, afterwards: () => this.#tellDevice(deviceId, qosNotice(seq, this.#now())) };
    }
    const { error } = parsed;
    const channel = parseDeviceTopic(packet.topic)?.channel;
    this.metrics.payloadsRejected.inc({ code: error.code });
    this.#warn(
      `payload:${error.code}:${principal.deviceId}`,
      { deviceId: principal.deviceId, channel, code: error.code, seq: error.seq, reason: error.reason },
      'device message rejected',
    );
    // Acknowledge (so the device does not resend it forever) but deliver to nobody, and say why.
    packet.topic = SINK_TOPIC;
    packet.retain = false;
    if (channel === 'vitals' || channel === 'events' || channel === 'status' || channel === 'info')
      this.#tellDevice(principal.deviceId, rejectionFor(channel, error, this.#now()));
    return null;
  }

  /** Publishes on the device's `errors` topic (QoS 1, waiting in its session if it has one). */
  #tellDevice(deviceId: string, notice: Rejection): void {
    this.#aedes.publish(
      {
        cmd: 'publish',
        topic: deviceTopic(deviceId, 'errors'),
        payload: encodeJson(notice),
        qos: 1,
        retain: false,
        dup: false,
      },
      () => undefined,
    );
  }

  #authorizeSubscribe(client: Client, sub: Subscription): Subscription | null {
    const principal = this.#principals.get(client);
    if (!principal) return null;
    const decision = authorizeSubscribe(principal, sub.topic);
    if (decision.allowed) {
      // A connection that carries only alarms (the ingest's and the web service's alarm sessions)
      // sends each at once; one that also carries readings batches its writes per turn.
      if (!isAlarmFilter(sub.topic)) this.#carriesMoreThanAlarms.add(client);
      this.#batches.get(client.conn)?.writeThrough(!this.#carriesMoreThanAlarms.has(client));
      return sub;
    }
    this.metrics.subscriptionsRefused.inc({ reason: decision.denial });
    this.#warn(
      `subscribe:${decision.denial}:${client.id}`,
      { clientId: client.id, filter: sub.topic, reason: decision.denial },
      `subscription refused: ${decision.reason}`,
    );
    return null; // SUBACK 0x80 (MQTT-3.9.3)
  }
}

type Transport = 'tcp' | 'websocket' | 'stream';

/** Connections whose writes wait for a drain (their buffer full): their peer reads too slowly or not at all. */
function backloggedConnections(aedes: Aedes): number {
  let count = 0;
  // aedes keeps its connected clients by id (not in its types).
  const { clients } = aedes as unknown as { clients: Record<string, Client> };
  for (const id in clients) {
    if ((clients[id]!.conn as { writableNeedDrain?: boolean }).writableNeedDrain === true) count += 1;
  }
  return count;
}
