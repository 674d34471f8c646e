/**
 * The Vigie MQTT broker: aedes with device/service authentication, topic ACLs, protocol validation
 * of every device message, durable persistence (QoS 1 sessions, queued and retained messages and
 * wills survive a restart; see persistence.ts), over TCP and WebSocket.
 */
import { Aedes, type Client, type AuthenticateError, type PublishPacket, type Subscription } from 'aedes';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DurablePersistence } from './persistence.ts';
import AsyncRedisPersistence from 'aedes-persistence-redis/asyncPersistence.js';
import MQEmitterRedis from 'mqemitter-redis';
import MQEmitter from 'mqemitter';
import { withAlarmLane } from './alarm-lane.ts';
import { Readable } from 'node:stream';

/**
 * aedes-persistence-redis 11 (the release aedes 1.2 names) returns async generators where aedes
 * pipes streams (a retained message on SUBSCRIBE threw "stream.pipe is not a function"): wrapped.
 */
class RedisPersistence extends AsyncRedisPersistence {
  override createRetainedStreamCombi(patterns: string[]): Readable {
    return Readable.from(super.createRetainedStreamCombi(patterns));
  }
  override outgoingStream(client: unknown): Readable {
    return Readable.from(super.outgoingStream(client));
  }
  override streamWill(brokers?: unknown): Readable {
    return Readable.from(super.streamWill(brokers));
  }
  override getClientList(topic: string): Readable {
    return Readable.from(super.getClientList(topic));
  }
}
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { once } from 'node:events';
import { deviceTopic, parseDeviceTopic } from '../devices/topics.ts';
import { encodeJson, parseDeviceMessage, qosNotice, rejectionFor, parseStatus } from '../devices/protocol.ts';
import type { Rejection } from '../devices/payloads.ts';
import type { Registry } from '../common/registry.ts';
import { verifySecret } from '../common/secrets.ts';
import { rateLimitedWarn, type Logger } from '../common/log.ts';
import { authorizePublish, authorizeSubscribe, authorizeWill, SERVICE_PREFIX, type Principal } from './acl.ts';
import { createBrokerMetrics, type BrokerMetrics } from './metrics.ts';
import { RefusalDelay, type RefusalDelayOptions } from './refusal-delay.ts';
import { PublishPacing } from './publish-pacing.ts';
import { serveMetrics } from '../common/http-metrics.ts';

/** Where messages that must be acknowledged but not delivered go: a `$` topic nobody may subscribe to. */
const REJECTED_SINK = '$vigie/sink';
/**
 * Outcome of the publish check for an accepted device message that must be stored for subscribers
 * before it is acknowledged: forwarded at `qos`, then `afterwards` runs.
 */
interface ForwardFirst {
  readonly qos: 1 | 2;
  readonly afterwards?: () => void;
}

/** Messages mqemitter routes at once (aedes' default); the rest wait in its queue. */
const MQ_CONCURRENCY = 100;

/** A client's dedupe table that never reports a duplicate (see preConnect). */
const NEVER_DUPLICATE: Record<string, number> = new Proxy(
  {},
  { get: () => 0, set: () => true, deleteProperty: () => true },
);
/** A hash no secret matches, checked for unknown users so they take as long as known ones. */
const DUMMY_HASH = 'scrypt$1024$8$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

// MQTT 3.1.1 CONNACK return codes (section 3.2.2.3).
const IDENTIFIER_REJECTED = 2;
const BAD_USERNAME_OR_PASSWORD = 4;
const NOT_AUTHORIZED = 5;
type ReturnCode = typeof IDENTIFIER_REJECTED | typeof BAD_USERNAME_OR_PASSWORD | typeof NOT_AUTHORIZED;

/** A refused CONNECT: the CONNACK return code aedes sends, and why (a metrics label). */
class Refusal extends Error {
  override readonly name = 'Refusal';
  constructor(
    readonly returnCode: ReturnCode,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

/** Longest client-chosen text (a username) put in a log line or a rate-limit key. */
const MAX_LOGGED_ID = 64;

export interface BrokerOptions {
  readonly host: string;
  readonly port: number;
  readonly wsPort: number;
  readonly metricsPort: number;
  /** TCP_NODELAY on client sockets (default true): small urgent messages are not held by Nagle's algorithm. */
  readonly noDelay?: boolean;
  readonly persistenceDir: string;
  /**
   * Cluster mode: brokers sharing one Redis (aedes' established clustering backends: mqemitter-redis
   * carries messages between brokers, aedes-persistence-redis holds sessions, queued and retained
   * messages) instead of this broker's own SQLite file.
   */
  readonly redisUrl?: string;
  /** This broker's name in $SYS topics and logs; each process adds a random suffix (see processBrokerId). */
  readonly id?: string;
  readonly registry: Registry;
  readonly logger: Logger;
  readonly clock?: () => number;
  /** How refusals of wrong credentials are held back, per source address (defaults: REFUSAL_DELAY_DEFAULTS). */
  readonly refusalDelay?: Omit<RefusalDelayOptions, 'clock'>;
  /**
   * Each device's publish rate (token bucket, enforced by back-pressure; see publish-pacing.ts), or
   * false for none (capacity benchmarks with closed-loop publishers). Service accounts are not paced.
   */
  readonly publishRate?: { readonly perSecond: number; readonly burst: number } | false;
}

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
 * and the persistences key stored messages by that name (ours and aedes-persistence-redis). A broker
 * that came back under the same id numbered its messages 1, 2, 3... again, so a fall acknowledged
 * after a restart collided with one queued before it and was not stored: lost after its PUBACK.
 * aedes' own default is a fresh UUID per process for that reason. The wills of sessions that died
 * with an earlier process are then published as orphans (see #authorizePublish), as MQTT wants.
 */
function processBrokerId(name: string): string {
  return `${name}-${randomBytes(6).toString('hex')}`;
}

export class VigieBroker {
  readonly metrics: BrokerMetrics;
  readonly #aedes: Aedes;
  readonly #persistence: { destroy(): Promise<void> };
  readonly #mq: { close(cb: () => void): void } | undefined;
  readonly #options: BrokerOptions;
  readonly #principals = new WeakMap<Client, Principal>();
  /** Last Wills seen at CONNECT (preConnect), checked by authenticate. */
  readonly #wills = new WeakMap<Client, { topic: string; payload: Buffer }>();
  readonly #refusalDelay: RefusalDelay;
  /** Refusals being held back (RefusalDelay), cancelled on close. */
  readonly #heldRefusals = new Set<NodeJS.Timeout>();
  /** The remote address of each connection aedes handles. */
  readonly #addresses = new WeakMap<object, string>();
  readonly #pacing: PublishPacing | undefined;
  /** Open TCP connections: those still authenticating are not aedes' clients yet, and close() ends them too. */
  readonly #sockets = new Set<Socket>();
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  readonly #servers: { tcp: TcpServer; ws: WebSocketServer; wsHttp: HttpServer };
  #metricsServer: HttpServer | undefined;
  #closed = false;

  private constructor(
    options: BrokerOptions,
    aedes: Aedes,
    persistence: { destroy(): Promise<void> },
    mq: { close(cb: () => void): void } | undefined,
    metrics: BrokerMetrics,
  ) {
    this.#options = options;
    this.#aedes = aedes;
    this.#persistence = persistence;
    this.#mq = mq;
    this.metrics = metrics;
    this.#refusalDelay = new RefusalDelay({ ...options.refusalDelay, clock: this.#now });
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
    this.#warn = rateLimitedWarn(options.logger);
    const tcp = createTcpServer((socket: Socket) => {
      socket.setNoDelay(options.noDelay ?? true); // alarms are small and urgent: do not wait for Nagle's algorithm
      this.#addresses.set(socket, socket.remoteAddress ?? 'unknown');
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
      aedes.handle(socket);
    });
    const wsHttp = createHttpServer((_req, res) => res.writeHead(426).end('MQTT over WebSocket only\n'));
    const ws = new WebSocketServer({
      server: wsHttp,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    });
    ws.on('connection', (socket) => aedes.handle(createWebSocketStream(socket)));
    this.#servers = { tcp, ws, wsHttp };
  }

  static async create(options: BrokerOptions): Promise<VigieBroker> {
    let persistence: DurablePersistence | AsyncRedisPersistence;
    let mq: ReturnType<typeof MQEmitterRedis> | ReturnType<typeof MQEmitter>;
    if (options.redisUrl) {
      const url = new URL(options.redisUrl);
      const redis = {
        host: url.hostname,
        port: Number(url.port || 6379),
        ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      };
      persistence = new RedisPersistence(redis);
      mq = MQEmitterRedis({ ...redis, concurrency: MQ_CONCURRENCY, matchEmptyLevels: true });
    } else {
      persistence = new DurablePersistence(join(options.persistenceDir, 'broker.db'));
      mq = MQEmitter({ concurrency: MQ_CONCURRENCY, matchEmptyLevels: true }); // [MQTT-4.7.1-3], as aedes' own
    }
    withAlarmLane(mq);
    // mqemitter runs the next queued message from the callback of the one before; a message nobody
    // subscribes to (every acknowledged original goes to REJECTED_SINK) completes synchronously, so a
    // backlog of them recursed once per message: a burst of 20,000 QoS 1 messages in flight crashed
    // the broker with "Maximum call stack size exceeded". A listener on every topic that answers in a
    // microtask makes each step start from an empty stack. In Redis mode too (the two-broker bench
    // crashed the same way): there it also subscribes this broker to every channel of the cluster,
    // which it mostly is already (the ingest takes every reading).
    mq.on('#', (_packet, done) => queueMicrotask(done));
    const metrics = createBrokerMetrics();
    const aedes = await Aedes.createBroker({
      id: processBrokerId(options.id ?? 'vigie-broker'),
      persistence,
      mq,
      heartbeatInterval: 60_000,
      connectTimeout: 10_000,
    });
    const broker = new VigieBroker(options, aedes, persistence, mq, metrics);
    broker.#install();
    return broker;
  }

  readonly #now = (): number => (this.#options.clock ?? Date.now)();

  async listen(): Promise<Ports> {
    const { host } = this.#options;
    const listen = async (server: TcpServer | HttpServer, port: number): Promise<number> => {
      server.listen(port, host);
      await once(server, 'listening');
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('server has no TCP address');
      return address.port;
    };
    const ports: { mqtt: number; ws: number; metrics: number } = {
      mqtt: await listen(this.#servers.tcp, this.#options.port),
      ws: await listen(this.#servers.wsHttp, this.#options.wsPort),
      metrics: 0,
    };
    const served = await serveMetrics(this.metrics.registry, host, this.#options.metricsPort, () => !this.#closed);
    this.#metricsServer = served.server;
    ports.metrics = served.port;
    this.#options.logger.info({ ...ports, id: this.#aedes.id }, 'broker listening');
    return ports;
  }

  /** Stops accepting, disconnects everyone, flushes persistence. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const timer of this.#heldRefusals) clearTimeout(timer);
    this.#heldRefusals.clear();
    this.metrics.refusalsHeld.set(0);
    this.#pacing?.close();
    for (const client of this.#servers.ws.clients) client.terminate();
    // Stop accepting first; the servers' close completes only when their connections are gone, which
    // happens when aedes closes its clients, so both are awaited together.
    const closeServer = (s: TcpServer | HttpServer) => new Promise<void>((resolve) => s.close(() => resolve()));
    const servers = Promise.all([
      closeServer(this.#servers.tcp),
      closeServer(this.#servers.wsHttp),
      ...(this.#metricsServer ? [closeServer(this.#metricsServer)] : []),
    ]);
    await new Promise<void>((resolve) => this.#aedes.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy(); // not connected yet (a CONNECT awaited or refused)
    await servers;
    await this.#persistence.destroy();
    if (this.#mq) await new Promise<void>((resolve) => this.#mq!.close(resolve));
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
      if (packet.will) this.#wills.set(client, { topic: packet.will.topic, payload: Buffer.from(packet.will.payload) });
      done(null, true);
    };
    aedes.authenticate = (client, username, password, done) => {
      this.#authenticate(client, username, password).then(
        (principal) => {
          this.#principals.set(client, principal);
          done(null, true);
        },
        (error: unknown) => {
          if (!(error instanceof Refusal)) {
            logger.error({ clientId: client.id, error: String(error) }, 'authentication failed unexpectedly');
            return done(Object.assign(new Error('server unavailable'), { returnCode: 3 as const }), false);
          }
          this.#refuse(client, username, error, done);
        },
      );
    };
    aedes.authorizePublish = (client, packet, done) => {
      if (client !== null && this.#pacing && this.#principals.get(client)?.kind === 'device')
        return this.#pacing.admit(client, () => this.#publish(client, packet, done));
      this.#publish(client, packet, done);
    };
    aedes.authorizeSubscribe = (client, sub, done) => done(null, this.#authorizeSubscribe(client, sub));
    aedes.on('client', (client) => {
      this.metrics.clientsConnected.inc();
      logger.debug({ clientId: client.id }, 'client connected');
    });
    aedes.on('clientDisconnect', (client) => {
      this.metrics.clientsConnected.dec();
      logger.debug({ clientId: client.id }, 'client disconnected');
    });
    aedes.on('clientError', (client, error) =>
      this.#warn(`client-error:${client.id}`, { clientId: client.id, error: error.message }, 'client error'),
    );
    aedes.on('connectionError', (client, error) =>
      this.#warn(`connection-error:${client.id}`, { clientId: client.id, error: error.message }, 'connection error'),
    );
  }

  /** The principal of a CONNECT's credentials, or a Refusal. Never slowed down: see #refuse. */
  async #authenticate(
    client: Client,
    username: string | undefined,
    password: Readonly<Buffer> | undefined,
  ): Promise<Principal> {
    if (!username || !password)
      throw new Refusal(BAD_USERNAME_OR_PASSWORD, 'no_credentials', 'connect without username or password');
    const isService = username.startsWith(SERVICE_PREFIX);
    const record = isService ? this.#options.registry.service(username) : this.#options.registry.device(username);
    // Verify even for unknown users so response time does not reveal which ids exist.
    const valid = await verifySecret(Buffer.from(password), record?.secretHash ?? DUMMY_HASH);
    if (!record || !valid) throw new Refusal(BAD_USERNAME_OR_PASSWORD, 'bad_credentials', 'bad username or secret');
    let principal: Principal;
    if ('role' in record) {
      principal = { kind: 'service', username: record.username, role: record.role };
    } else {
      if (record.revoked) throw new Refusal(NOT_AUTHORIZED, 'revoked', 'device revoked');
      if (client.id !== username)
        throw new Refusal(IDENTIFIER_REJECTED, 'client_id_mismatch', 'device client id must equal its username');
      principal = { kind: 'device', deviceId: record.id, patientId: record.patientId };
    }
    const will = this.#wills.get(client);
    if (will) {
      const decision = authorizeWill(principal, will.topic, will.payload);
      if (!decision.allowed) throw new Refusal(NOT_AUTHORIZED, `will_${decision.denial}`, decision.reason);
    }
    return principal;
  }

  /**
   * Counts and logs a refusal and sends its CONNACK. Wrong credentials are answered after a delay
   * that grows with the failures from the same address (RefusalDelay): that slows the failing
   * connection, while the device with the right secret, whoever else shares or attacks its id or
   * its address, connects at once.
   */
  #refuse(
    client: Client,
    username: string | undefined,
    refusal: Refusal,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void {
    const deviceId = username?.slice(0, MAX_LOGGED_ID);
    const address = this.#addresses.get(client.conn) ?? 'unknown';
    this.metrics.connectionsRefused.inc({ reason: refusal.reason });
    if (refusal.reason !== 'bad_credentials') {
      this.#warn(`auth:${refusal.reason}:${deviceId}`, { deviceId, address, reason: refusal.reason }, refusal.message);
      return done(refusal, false);
    }
    const { delayMs, failures } = this.#refusalDelay.fail(address);
    this.#warn(
      `auth:bad_credentials:${deviceId}`,
      { deviceId, address, reason: refusal.reason, failuresFromAddress: failures, delayMs },
      refusal.message,
    );
    if (delayMs === 0) return done(refusal, false);
    this.metrics.refusalsHeld.inc();
    const timer = setTimeout(() => {
      this.#heldRefusals.delete(timer);
      this.#refusalDelay.release(address);
      this.metrics.refusalsHeld.dec();
      done(refusal, false); // aedes does nothing if the connection went away meanwhile
    }, delayMs);
    this.#heldRefusals.add(timer);
  }

  /** Checks a publish and, when it must be stored before it is acknowledged, forwards it first. */
  #publish(client: Client | null, packet: PublishPacket, done: (error?: Error | null) => void): void {
    const { logger } = this.#options;
    const outcome = this.#authorizePublish(client, packet);
    if (outcome === null || outcome instanceof Error) return done(outcome);
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
        packet.topic = REJECTED_SINK;
        packet.retain = false;
        done(null);
        outcome.afterwards?.();
      },
    );
  }

  #authorizePublish(client: Client | null, packet: PublishPacket): Error | null | ForwardFirst {
    const payload = Buffer.from(packet.payload);
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
    packet.topic = REJECTED_SINK;
    packet.retain = false;
    if (channel === 'vitals' || channel === 'events' || channel === 'status')
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
    if (decision.allowed) return sub;
    this.metrics.subscriptionsRefused.inc({ reason: decision.denial });
    this.#warn(
      `subscribe:${decision.denial}:${client.id}`,
      { clientId: client.id, filter: sub.topic, reason: decision.denial },
      `subscription refused: ${decision.reason}`,
    );
    return null; // SUBACK 0x80 (MQTT-3.9.3)
  }
}
