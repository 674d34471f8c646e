/**
 * The SFU's network edge: upgrade requests and malformed HTTP on its server, and every signalling
 * WebSocket until a Connection takes it. Whatever a client sends, only its own connection is refused
 * (an HTTP 4xx with a reason) or closed (a close code), the refusal is counted and logged at most once
 * a minute per reason, with ids only, and everyone else is served as before.
 */
import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type ServerOptions, type WebSocket } from 'ws';
import { Counter, type Registry } from 'prom-client';
import { ConnectionsPerClient } from '../common/limits.ts';
import { rateLimitedWarn, type Logger } from '../common/log.ts';

/** Why a connection was refused or closed for cause (the `reason` label of the counter). */
export type Refusal =
  | 'unknown_path'
  | 'bad_upgrade'
  | 'too_many_sockets'
  | 'bad_http_request'
  | 'join_timeout'
  | 'rate_limited'
  | 'too_many_bad_requests'
  /** A frame that breaks RFC 6455, by the `ws` error code (e.g. `bad_frame_unexpected_rsv_1`). */
  | `bad_frame_${string}`;

export interface EdgeOptions {
  readonly http: Server;
  readonly path: string;
  /** Largest message accepted, in bytes; a bigger one closes the socket with 1009. */
  readonly maxPayload: number;
  readonly maxSocketsPerClient: number;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** A socket that passed the upgrade; `conn` names it in logs. */
  readonly onSocket: (ws: WebSocket, conn: number) => void;
}

const HEARTBEAT_MS = 10_000;
/** A page sends one frame per message; more fragments than this is a flood, closed with 1008. */
const MAX_FRAGMENTS = 64;
/** After our close frame, a peer that does not answer is cut off this much later. */
const CLOSE_TIMEOUT_MS = 2_000;

export class SignallingEdge {
  readonly #o: EdgeOptions;
  readonly #wss: WebSocketServer;
  readonly #perClient: ConnectionsPerClient;
  readonly #warn: ReturnType<typeof rateLimitedWarn>;
  readonly #refusals: Counter<'reason'>;
  /** Whether each socket answered the last ping. */
  readonly #answered = new WeakMap<WebSocket, boolean>();
  #heartbeat: NodeJS.Timeout | undefined;
  #nextConn = 1;

  constructor(options: EdgeOptions) {
    this.#o = options;
    this.#perClient = new ConnectionsPerClient(options.maxSocketsPerClient);
    this.#warn = rateLimitedWarn(options.logger);
    this.#refusals = new Counter({
      name: 'vigie_sfu_connections_refused_total',
      help: 'signalling connections refused or closed for cause (bad frame, bad upgrade, limit, join deadline), by reason',
      labelNames: ['reason'],
      registers: [options.metrics],
    });
    // `closeTimeout` exists in ws 8.23 but not yet in @types/ws 8.18.
    const wsOptions: ServerOptions & { readonly closeTimeout: number } = {
      noServer: true,
      maxPayload: options.maxPayload,
      maxFragments: MAX_FRAGMENTS,
      perMessageDeflate: false,
      closeTimeout: CLOSE_TIMEOUT_MS,
    };
    this.#wss = new WebSocketServer(wsOptions);
    this.#wss.on('wsClientError', (error, socket, req) =>
      this.#refuse(socket, req.method === 'GET' ? 400 : 405, 'bad_upgrade', error.message),
    );
    options.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#onUpgrade(req, socket, head),
    );
    options.http.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) =>
      this.#onClientError(error, socket),
    );
  }

  /** Starts the heartbeat: sockets that stop answering pings (a closed laptop, a dead network) are cut. */
  start(): void {
    this.#heartbeat ??= setInterval(() => {
      for (const ws of this.#wss.clients) {
        if (!this.#answered.get(ws)) ws.terminate();
        else {
          this.#answered.set(ws, false);
          ws.ping();
        }
      }
    }, HEARTBEAT_MS);
  }

  /** Counts a refusal and logs it (at most once a minute per reason). */
  refused(reason: Refusal, ids: { readonly conn?: number; readonly participant?: string } = {}): void {
    this.#refusals.inc({ reason });
    this.#warn(reason, { reason, ...ids }, 'signalling connection refused');
  }

  async close(): Promise<void> {
    clearInterval(this.#heartbeat);
    for (const ws of this.#wss.clients) ws.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  #onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // A reset in the middle of the handshake must not become an uncaught 'error'.
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== this.#o.path)
      return this.#refuse(socket, 404, 'unknown_path', `no WebSocket here; signalling is at ${this.#o.path}`);
    const client = req.socket.remoteAddress ?? 'unknown';
    if (!this.#perClient.open(client)) {
      return this.#refuse(
        socket,
        429,
        'too_many_sockets',
        `at most ${this.#o.maxSocketsPerClient} signalling connections per client`,
        ['Retry-After: 10'],
      );
    }
    socket.once('close', () => this.#perClient.close(client));
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws));
  }

  #accept(ws: WebSocket): void {
    const conn = this.#nextConn++;
    // `ws` has already sent the close code (1002, 1007, 1008 or 1009) when it reports a bad frame.
    ws.on('error', (error: Error & { code?: unknown }) => this.refused(frameRefusal(error.code), { conn }));
    this.#answered.set(ws, true);
    ws.on('pong', () => this.#answered.set(ws, true));
    this.#o.onSocket(ws, conn);
  }

  #onClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
    if (error.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    this.#refuse(socket, status, 'bad_http_request', STATUS_CODES[status] ?? 'bad request');
  }

  #refuse(socket: Duplex, status: number, reason: Refusal, message: string, headers: readonly string[] = []): void {
    this.refused(reason);
    if (!socket.writable) return void socket.destroy();
    const body = `${message}\n`;
    socket.once('finish', () => socket.destroy());
    socket.end(
      [
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
        'Connection: close',
        'Content-Type: text/plain; charset=utf-8',
        `Content-Length: ${Buffer.byteLength(body)}`,
        ...headers,
        '',
        body,
      ].join('\r\n'),
    );
  }
}

/** `ws` names what was wrong with a frame (`WS_ERR_INVALID_OPCODE`...): a small, fixed set of labels. */
function frameRefusal(code: unknown): Refusal {
  return typeof code === 'string' && /^WS_ERR_[A-Z0-9_]{1,40}$/.test(code)
    ? `bad_frame_${code.slice('WS_ERR_'.length).toLowerCase()}`
    : 'bad_frame_other';
}
