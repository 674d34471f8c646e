/**
 * MQTT over WebSocket for the pages, on the web server's own origin (`/mqtt`): each browser socket is
 * relayed, frame for frame, to the broker's WebSocket listener. The page then needs no second origin
 * (no mixed content behind TLS, one certificate), and the broker still authenticates every client
 * with its device credentials and applies the same ACL and validation as to a watch.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { WebSocketServer } from 'ws';
import { HttpError } from '../common/http.ts';
import type { Logger } from '../common/log.ts';

/** Above the broker's largest accepted payload (64 KiB) plus MQTT framing; the broker refuses more. */
const MAX_FRAME = 128 * 1024;

export interface MqttRelayOptions {
  readonly path: string;
  /** The broker's WebSocket listener, e.g. ws://127.0.0.1:8083. */
  readonly brokerUrl: string;
  readonly sameOrigin: (req: IncomingMessage) => void;
  readonly logger: Logger;
}

export function attachMqttRelay(server: Server, o: MqttRelayOptions): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false),
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== o.path) return; // another socket's business
    try {
      o.sameOrigin(req);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 403;
      socket.end(
        `HTTP/1.1 ${status} Forbidden\r\ncontent-type: text/plain\r\n\r\n${error instanceof Error ? error.message : ''}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (browser) => relay(browser, o));
  });
  return wss;
}

function relay(browser: WebSocket, o: MqttRelayOptions): void {
  const broker = new WebSocket(o.brokerUrl, 'mqtt', { maxPayload: MAX_FRAME });
  const early: Buffer[] = [];
  browser.on('message', (data: Buffer) =>
    broker.readyState === WebSocket.OPEN ? broker.send(data) : early.push(data),
  );
  broker.on('open', () => {
    for (const data of early.splice(0)) broker.send(data);
  });
  broker.on('message', (data: Buffer) => browser.readyState === WebSocket.OPEN && browser.send(data));
  const closeBoth = () => {
    browser.close();
    broker.close();
  };
  browser.on('close', closeBoth);
  broker.on('close', closeBoth);
  broker.on('error', (error) => {
    o.logger.warn({ error: error.message }, 'MQTT relay: broker unreachable');
    browser.close(1013, 'broker unreachable; try again');
  });
  browser.on('error', () => broker.close());
}
