/**
 * MQTT over WebSocket for the pages, on the web server's own origin (`/mqtt`): each browser socket is
 * relayed, frame for frame, to the broker's WebSocket listener. The page then needs no second origin
 * (no mixed content behind TLS, one certificate), and the broker still authenticates every client
 * with its device credentials and applies the same ACL, validation and limits as to a watch. The
 * relay adds its own: the Origin check and the sockets per client (web/edge.ts), a frame size, and a
 * frame rate per socket (a socket over it is closed with a reason, the others carry on).
 */
import WebSocket from 'ws';
import { TokenBucket } from '../common/limits.ts';
import type { Logger } from '../common/log.ts';
import type { App } from './edge.ts';
import { MQTT_WS_PATH } from './routes/family.ts';

/** Above the broker's largest accepted payload (64 KiB) plus MQTT framing; the broker refuses more. */
const MAX_FRAME = 128 * 1024;
/** A Bluetooth gateway sends a reading every few seconds; a burst after a reconnection is allowed. */
const FRAMES_PER_SECOND = 20;
const FRAME_BURST = 200;
/** Frames a page may send before the broker's socket is open. */
const MAX_EARLY = 20;
export const RELAY_CLOSE = { policy: 4008, unreachable: 1013 } as const;

export interface MqttRelayOptions {
  /** The broker's WebSocket listener, e.g. ws://127.0.0.1:8083. */
  readonly brokerUrl: string;
  readonly logger: Logger;
  readonly onClose?: (reason: string) => void;
}

export function mqttRelayRoute(app: App, o: MqttRelayOptions): void {
  app.get(MQTT_WS_PATH, { websocket: true, config: { access: 'public', socket: true } }, (browser) =>
    relay(browser, o),
  );
}

function relay(browser: WebSocket, o: MqttRelayOptions): void {
  const broker = new WebSocket(o.brokerUrl, 'mqtt', { maxPayload: MAX_FRAME });
  const rate = new TokenBucket(FRAMES_PER_SECOND, FRAME_BURST);
  const early: Buffer[] = [];
  let refused = false;
  const refuse = (reason: string) => {
    if (refused) return;
    refused = true;
    o.onClose?.(reason);
    o.logger.warn({ reason }, 'MQTT relay: socket closed');
    browser.close(RELAY_CLOSE.policy, reason);
    broker.close();
  };
  browser.on('message', (data: Buffer, isBinary: boolean) => {
    if (refused) return;
    if (!rate.take()) return refuse('too many frames');
    if (!isBinary) return refuse('MQTT travels in binary frames');
    if (broker.readyState === WebSocket.OPEN) broker.send(data);
    else if (early.push(data) > MAX_EARLY) refuse('too many frames before the broker answered');
  });
  broker.on('open', () => {
    for (const data of early.splice(0)) broker.send(data);
  });
  broker.on('message', (data: Buffer) => {
    if (browser.readyState === WebSocket.OPEN) browser.send(data);
  });
  const closeBoth = () => {
    browser.close();
    broker.close();
  };
  let browserGone = false;
  browser.on('close', () => {
    browserGone = true;
    closeBoth();
  });
  broker.on('close', closeBoth);
  broker.on('error', (error) => {
    // Closing the broker's socket before it opened (the page left first) is an error to ws, not a
    // broker that cannot be reached.
    if (browserGone || refused) return;
    o.logger.warn({ error: error.message }, 'MQTT relay: broker unreachable');
    browser.close(RELAY_CLOSE.unreachable, 'broker unreachable; try again');
  });
  // The browser socket's errors (bad frames) are counted and logged by web/edge.ts's handler.
  browser.on('error', () => broker.close());
}
