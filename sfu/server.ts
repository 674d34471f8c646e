/**
 * The SFU service: a pool of mediasoup workers, the consultation rooms, and one HTTP server for the
 * signalling WebSocket (`/signal`), `/healthz` and Prometheus `/metrics`.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { Counter, Gauge, Registry } from 'prom-client';
import { TokenBucket } from '../common/limits.ts';
import type { Logger } from '../common/log.ts';
import { Connection, type Lobby } from './connection.ts';
import { SignallingEdge, type Refusal } from './edge.ts';
import type { MediaNetwork } from './media.ts';
import { CallError, Room, type RoomLimits } from './room.ts';
import { signallingLimits, type SignallingLimits } from './signalling-limits.ts';
import { CallTokens, type CallGrant } from './tokens.ts';
import { WorkerPool } from './worker-pool.ts';
import type { ErrorCode, RoomPresence } from './protocol.ts';

export interface SfuOptions {
  readonly host: string;
  readonly port: number;
  readonly workers: number;
  readonly network: MediaNetwork;
  readonly secret: string;
  readonly limits: RoomLimits & { readonly maxParticipantsPerWorker: number };
  readonly logger: Logger;
  /** Empty rooms are forgotten after this long (admission and chat go with them). */
  readonly emptyRoomTtlMs?: number;
  /** Ended consultations are remembered this long, so their invitations stay refused. */
  readonly endedRoomTtlMs?: number;
  /** What one client may hold and send; each missing one takes its DEFAULT_SIGNALLING_LIMITS value. */
  readonly signalling?: Partial<SignallingLimits>;
  /** The clock of the per-socket message budgets (tests stop it). */
  readonly clock?: () => number;
  /** Told who is in a room after each change (sfu/presence-report.ts sends it to the web service); none by default. */
  readonly onPresence?: (presence: RoomPresence) => void;
}

export const SIGNAL_PATH = '/signal';
/** Largest signalling message; the biggest real ones (RTP capabilities) are a few KiB. */
const MAX_MESSAGE_BYTES = 256 * 1024;

export class SfuServer implements Lobby {
  readonly pool: WorkerPool;
  readonly tokens: CallTokens;
  readonly rooms = new Map<string, Room>();
  readonly metrics = new Registry();
  readonly #o: SfuOptions;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #edge: SignallingEdge;
  readonly #limits: SignallingLimits;
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #errors = new Counter({
    name: 'vigie_sfu_requests_refused_total',
    help: 'signalling requests refused, by method and reason',
    labelNames: ['method', 'code'],
    registers: [this.metrics],
  });
  #port = 0;

  private constructor(options: SfuOptions, limits: SignallingLimits, pool: WorkerPool) {
    this.#o = options;
    this.#log = options.logger;
    this.#limits = limits;
    this.pool = pool;
    this.tokens = new CallTokens(options.secret);
    this.#http = createServer((req, res) => {
      if (req.url === '/healthz') return void res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      if (req.url === '/metrics') {
        return void this.metrics.metrics().then(
          (text) => res.writeHead(200, { 'content-type': this.metrics.contentType }).end(text),
          () => res.writeHead(500).end(),
        );
      }
      res
        .writeHead(404, { 'content-type': 'text/plain' })
        .end(`not found; the signalling WebSocket is at ${SIGNAL_PATH}\n`);
    });
    const clock = options.clock ?? Date.now;
    this.#edge = new SignallingEdge({
      http: this.#http,
      path: SIGNAL_PATH,
      maxPayload: MAX_MESSAGE_BYTES,
      maxSocketsPerClient: this.#limits.maxSocketsPerClient,
      logger: this.#log,
      metrics: this.metrics,
      onSocket: (ws, conn) =>
        new Connection(ws, this, this.#log, {
          conn,
          joinTimeoutMs: this.#limits.joinTimeoutMs,
          bucket: new TokenBucket(this.#limits.messagesPerSecond, this.#limits.messageBurst, clock),
        }),
    });
    pool.on('died', (slot) => {
      for (const room of this.rooms.values()) if (room.slot === slot) room.mediaLost();
    });
    this.#registerGauges();
  }

  static async create(options: SfuOptions): Promise<SfuServer> {
    const limits = signallingLimits(options.signalling); // checked before any worker starts
    const pool = await WorkerPool.create({
      count: options.workers,
      network: options.network,
      maxParticipantsPerWorker: options.limits.maxParticipantsPerWorker,
      logger: options.logger,
    });
    return new SfuServer(options, limits, pool);
  }

  get port(): number {
    return this.#port;
  }

  async listen(): Promise<void> {
    this.#http.listen(this.#o.port, this.#o.host);
    await once(this.#http, 'listening');
    const address = this.#http.address();
    this.#port = address && typeof address !== 'string' ? address.port : this.#o.port;
    this.#edge.start();
    this.#timers.push(setInterval(() => this.#sweep(), 60_000));
    this.#log.info({ host: this.#o.host, port: this.#port, workers: this.pool.pids() }, 'sfu listening');
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    for (const room of this.rooms.values()) room.close();
    this.rooms.clear();
    await this.#edge.close();
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
    this.pool.close();
    this.#log.info('sfu closed');
  }

  async admit(token: string, roomId: string): Promise<{ grant: CallGrant; room: Room }> {
    const verified = await this.tokens.verifyCall(token);
    if (!verified.ok) {
      throw verified.error === 'token_expired'
        ? new CallError('token_expired', 'this invitation has expired; ask the care team for a new link')
        : new CallError(
            'token_invalid',
            'this invitation is not valid; check the link or ask the care team for a new one',
          );
    }
    const grant = verified.value;
    if (grant.roomId !== roomId) throw new CallError('wrong_room', 'this invitation is for another consultation');
    let room = this.rooms.get(roomId);
    if (!room) {
      room = new Room(
        roomId,
        grant.patientId,
        this.pool,
        this.#o.network,
        this.#o.limits,
        this.#log,
        this.#o.onPresence,
      );
      this.rooms.set(roomId, room);
    }
    return { grant, room };
  }

  countError(method: string, code: ErrorCode): void {
    this.#errors.inc({ method, code });
  }

  refused(reason: Refusal, ids: { readonly conn: number; readonly participant?: string }): void {
    this.#edge.refused(reason, ids);
  }

  #sweep(now = Date.now()): void {
    const emptyTtl = this.#o.emptyRoomTtlMs ?? 60 * 60_000;
    const endedTtl = this.#o.endedRoomTtlMs ?? 24 * 60 * 60_000;
    for (const [id, room] of this.rooms) {
      if (
        room.size === 0 &&
        room.emptySince !== undefined &&
        now - room.emptySince > (room.ended ? endedTtl : emptyTtl)
      )
        this.rooms.delete(id);
    }
  }

  #registerGauges(): void {
    const registers = [this.metrics];
    const { rooms, pool } = this;
    new Gauge({
      name: 'vigie_sfu_active_rooms',
      help: 'rooms with at least one participant',
      registers,
      collect() {
        this.set([...rooms.values()].filter((r) => r.size > 0).length);
      },
    });
    new Gauge({
      name: 'vigie_sfu_participants',
      help: 'participants placed on each worker',
      labelNames: ['worker'],
      registers,
      collect() {
        for (const slot of pool.slots) this.set({ worker: String(slot.index) }, slot.load);
      },
    });
    new Gauge({
      name: 'vigie_sfu_worker_restarts',
      help: 'mediasoup workers replaced since start',
      registers,
      collect() {
        this.set(pool.restarts);
      },
    });
  }
}
