/**
 * MQTT over WebSocket (MQTT 3.1.1 section 6): the HTTP server that accepts upgrades on the MQTT
 * paths with the `mqtt` subprotocol, and the byte stream aedes reads from each WebSocket. Whatever
 * a client sends, only its own connection is closed, with a reason: an HTTP status for a refused
 * upgrade, a close code and reason for an open WebSocket.
 */
import { createServer, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { ListenerError, dropReasonOf, type DropReason } from './listener-errors.ts';
import { PacketSizeLimit } from './packet-size-limit.ts';

/** Where MQTT clients connect: MQTT.js's default `/`, and `/mqtt` by convention. */
export const MQTT_WS_PATHS: ReadonlySet<string> = new Set(['/', '/mqtt']);

/** How long a closing connection may take to answer before its socket is cut. */
const CLOSE_GRACE_MS = 1_000;

export type UpgradeRefusal = 'unknown_path' | 'no_mqtt_subprotocol' | 'bad_handshake' | 'bad_http';

export interface MqttWebSocketListenerOptions {
  /** Largest MQTT packet, and WebSocket message, accepted (MAX_PACKET_BYTES). */
  readonly maxPacketBytes: number;
  /** How long a client may take to send its HTTP request head (a slow one holds a socket). */
  readonly handshakeTimeoutMs: number;
  /** A WebSocket carrying MQTT, ready for aedes. */
  readonly onConnection: (stream: Duplex, address: string) => void;
  /** A request refused with a 4xx and closed. */
  readonly onRefused: (reason: UpgradeRefusal, address: string, detail: string) => void;
}

export class MqttWebSocketListener {
  readonly http: Server;
  readonly #wss: WebSocketServer;
  readonly #o: MqttWebSocketListenerOptions;
  /** Every open socket, upgraded or not, for close(). */
  readonly #sockets = new Set<Socket>();

  constructor(options: MqttWebSocketListenerOptions) {
    this.#o = options;
    this.http = createServer(
      {
        headersTimeout: options.handshakeTimeoutMs,
        requestTimeout: options.handshakeTimeoutMs,
        // Node checks those timeouts every 30 s by default: a slow request head would live that long.
        connectionsCheckingInterval: Math.min(1_000, options.handshakeTimeoutMs),
      },
      (_req, res) => res.writeHead(426, { upgrade: 'websocket' }).end('MQTT over WebSocket only\n'),
    );
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxPacketBytes,
      handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
    });
    this.http.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    this.http.on('clientError', (error: Error, socket: Duplex) => {
      const code = 'code' in error ? error.code : undefined;
      if (code === 'ECONNRESET') return void socket.destroy(); // the client left: nobody to answer
      const status = code === 'HPE_HEADER_OVERFLOW' ? 431 : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
      this.#refuse(socket, status, 'bad_http', addressOf(socket), error.message);
    });
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => this.#upgrade(req, socket, head));
    // ws checks the handshake (method, headers, key, version); with this listener it leaves the answer to us.
    this.#wss.on('wsClientError', (error: Error, socket: Duplex, req: IncomingMessage) =>
      this.#refuse(socket, req.method === 'GET' ? 400 : 405, 'bad_handshake', addressOf(req.socket), error.message),
    );
  }

  /** Closes every WebSocket and socket, and stops listening. */
  async close(): Promise<void> {
    for (const ws of this.#wss.clients) ws.terminate();
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node's HTTP server stops watching a socket's errors once it is upgraded: a reset before ws
    // takes it over would be an uncaught 'error', and the end of the process.
    socket.on('error', () => socket.destroy());
    const address = addressOf(req.socket);
    const path = pathOf(req.url);
    if (path === undefined || !MQTT_WS_PATHS.has(path))
      return this.#refuse(socket, 404, 'unknown_path', address, `no MQTT at ${JSON.stringify(req.url?.slice(0, 64))}`);
    if (!offersMqtt(req.headers['sec-websocket-protocol']))
      return this.#refuse(
        socket,
        400,
        'no_mqtt_subprotocol',
        address,
        'the WebSocket subprotocol "mqtt" is required (MQTT-6.0.0-3)',
      );
    this.#wss.handleUpgrade(req, socket, head, (ws) =>
      this.#o.onConnection(mqttStream(ws, this.#o.maxPacketBytes), address),
    );
  }

  #refuse(socket: Duplex, status: number, reason: UpgradeRefusal, address: string, detail: string): void {
    this.#o.onRefused(reason, address, detail);
    if (socket.writable) {
      const body = `${detail}\n`;
      socket.end(
        `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nconnection: close\r\ncontent-type: text/plain\r\n` +
          `content-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
    }
    // A client that does not close its side would otherwise keep the socket.
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }
}

/**
 * The byte stream aedes reads and writes for one WebSocket. Not ws' createWebSocketStream: MQTT
 * travels in binary frames and any other data frame must close the connection ([MQTT-6.0.0-1]); a
 * packet over the limit closes it too, even split across frames ([MQTT-6.0.0-2]); each close says
 * why; and the WebSocket keeps its 'error' listener all its life, so no late error goes unhandled.
 */
export function mqttStream(ws: WebSocket, maxPacketBytes: number): Duplex {
  const limit = new PacketSizeLimit(maxPacketBytes);
  const stream = new Duplex({
    read: () => ws.resume(),
    write: (chunk: Buffer, _encoding, callback: (error?: Error | null) => void) => {
      if (ws.readyState !== WebSocket.OPEN) return callback(new ListenerError('network', 'the WebSocket is closed'));
      ws.send(chunk, { binary: true }, (error) => callback(error ?? null));
    },
    final: (callback: () => void) => {
      closeWebSocket(ws, 1000, '');
      callback();
    },
    destroy: (error: Error | null, callback: (error: Error | null) => void) => {
      if (error === null) closeWebSocket(ws, 1000, '');
      else closeWebSocket(ws, CLOSE_CODES[dropReasonOf(error)], error.message);
      callback(error);
    },
  });
  ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
    if (stream.destroyed) return;
    if (!isBinary)
      return void stream.destroy(new ListenerError('websocket', 'MQTT travels in binary frames (MQTT-6.0.0-1)'));
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const problem = limit.scan(bytes);
    if (problem !== null) return void stream.destroy(problem);
    if (!stream.push(bytes)) ws.pause();
  });
  ws.on('close', () => {
    if (!stream.destroyed) stream.push(null);
  });
  // ws has already sent its close frame with the status code when it reports a protocol error.
  ws.on('error', (error: Error) => {
    const code = 'code' in error && typeof error.code === 'string' ? `${error.code}: ` : '';
    stream.destroy(new ListenerError('websocket', `${code}${error.message}`));
  });
  return stream;
}

/** RFC 6455 section 7.4.1 status codes, by why the broker closes. */
const CLOSE_CODES: Record<DropReason, number> = {
  packet_too_large: 1009,
  websocket: 1003,
  protocol: 1002,
  connect_timeout: 1008,
  keepalive_timeout: 1008,
  network: 1011,
};

function closeWebSocket(ws: WebSocket, code: number, reason: string): void {
  if (ws.readyState !== WebSocket.OPEN) return;
  // A close reason is at most 123 bytes (RFC 6455 section 5.5); ws throws beyond.
  ws.close(code, reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 123));
  setTimeout(() => ws.terminate(), CLOSE_GRACE_MS).unref();
}

function pathOf(url: string | undefined): string | undefined {
  try {
    return new URL(url ?? '/', 'http://broker').pathname;
  } catch {
    return undefined;
  }
}

/** Whether a Sec-WebSocket-Protocol header offers `mqtt` ([MQTT-6.0.0-3]). */
function offersMqtt(header: string | undefined): boolean {
  return header !== undefined && header.split(',').some((p) => p.trim() === 'mqtt');
}

function addressOf(socket: Duplex | Socket): string {
  return (
    ('remoteAddress' in socket && typeof socket.remoteAddress === 'string' ? socket.remoteAddress : undefined) ??
    'unknown'
  );
}
