/**
 * The SFU service: a pool of mediasoup workers, the consultation rooms, and one HTTP server for the
 * signalling WebSocket (`/signal`), `/healthz` and Prometheus `/metrics`.
 */
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { WebSocketServer, type WebSocket } from 'ws';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Logger } from '../common/log.ts';
import { Connection, type Lobby } from './connection.ts';
import type { MediaNetwork } from './media.ts';
import { CallError, Room, type RoomLimits } from './room.ts';
import { CallTokens, type CallGrant } from './tokens.ts';
import { WorkerPool } from './worker-pool.ts';
import type { ErrorCode } from './protocol.ts';

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
}

export const SIGNAL_PATH = '/signal';
const HEARTBEAT_MS = 10_000;

export class SfuServer implements Lobby {
  readonly pool: WorkerPool;
  readonly tokens: CallTokens;
  readonly rooms = new Map<string, Room>();
  readonly metrics = new Registry();
  readonly #o: SfuOptions;
  readonly #log: Logger;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #timers: NodeJS.Timeout[] = [];
  /** Whether each socket answered the last ping. */
  readonly #answered = new WeakMap<WebSocket, boolean>();
  readonly #errors = new Counter({
    name: 'vigie_sfu_requests_refused_total',
    help: 'signalling requests refused, by method and reason',
    labelNames: ['method', 'code'],
    registers: [this.metrics],
  });
  #port = 0;

  private constructor(options: SfuOptions, pool: WorkerPool) {
    this.#o = options;
    this.#log = options.logger;
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
    this.#wss = new WebSocketServer({ server: this.#http, path: SIGNAL_PATH, maxPayload: 256 * 1024 });
    this.#wss.on('connection', (ws) => {
      this.#answered.set(ws, true);
      ws.on('pong', () => this.#answered.set(ws, true));
      new Connection(ws, this, this.#log);
    });
    pool.on('died', (slot) => {
      for (const room of this.rooms.values()) if (room.slot === slot) room.mediaLost();
    });
    this.#registerGauges();
  }

  static async create(options: SfuOptions): Promise<SfuServer> {
    const pool = await WorkerPool.create({
      count: options.workers,
      network: options.network,
      maxParticipantsPerWorker: options.limits.maxParticipantsPerWorker,
      logger: options.logger,
    });
    return new SfuServer(options, pool);
  }

  get port(): number {
    return this.#port;
  }

  async listen(): Promise<void> {
    this.#http.listen(this.#o.port, this.#o.host);
    await once(this.#http, 'listening');
    const address = this.#http.address();
    this.#port = address && typeof address !== 'string' ? address.port : this.#o.port;
    // Sockets that stop answering pings (a laptop lid closed, a dead network) leave their room.
    this.#timers.push(
      setInterval(() => {
        for (const ws of this.#wss.clients) {
          if (!this.#answered.get(ws)) ws.terminate();
          else {
            this.#answered.set(ws, false);
            ws.ping();
          }
        }
      }, HEARTBEAT_MS),
    );
    this.#timers.push(setInterval(() => this.#sweep(), 60_000));
    this.#log.info({ host: this.#o.host, port: this.#port, workers: this.pool.pids() }, 'sfu listening');
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    for (const ws of this.#wss.clients) ws.terminate();
    for (const room of this.rooms.values()) room.close();
    this.rooms.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
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
      room = new Room(roomId, grant.patientId, this.pool, this.#o.network, this.#o.limits, this.#log);
      this.rooms.set(roomId, room);
    }
    return { grant, room };
  }

  countError(method: string, code: ErrorCode): void {
    this.#errors.inc({ method, code });
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
    const server = this;
    new Gauge({
      name: 'vigie_sfu_active_rooms',
      help: 'rooms with at least one participant',
      registers,
      collect() {
        this.set([...server.rooms.values()].filter((r) => r.size > 0).length);
      },
    });
    new Gauge({
      name: 'vigie_sfu_participants',
      help: 'participants placed on each worker',
      labelNames: ['worker'],
      registers,
      collect() {
        for (const slot of server.pool.slots) this.set({ worker: String(slot.index) }, slot.load);
      },
    });
    new Gauge({
      name: 'vigie_sfu_worker_restarts',
      help: 'mediasoup workers replaced since start',
      registers,
      collect() {
        this.set(server.pool.restarts);
      },
    });
  }
}
