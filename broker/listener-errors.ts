/**
 * Why the broker closed a connection that was not closed in the ordinary way (a DISCONNECT, a
 * refused CONNECT): a small fixed set, for a metrics label and the logs.
 */
export const DROP_REASONS = [
  /** A packet over MAX_PACKET_BYTES announced ([MQTT-2.2.3]: we choose the limit). */
  'packet_too_large',
  /** Not MQTT 3.1.1 as it must be: malformed packet, packet before CONNECT, a second CONNECT... */
  'protocol',
  /** No CONNECT within the connect timeout. */
  'connect_timeout',
  /** Nothing within one and a half keep-alive periods ([MQTT-3.1.2-24]). */
  'keepalive_timeout',
  /** A WebSocket protocol error, or MQTT sent in text frames ([MQTT-6.0.0-1]). */
  'websocket',
  /** The network: a reset, a write to a closed socket, a client that stopped reading. */
  'network',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** An error the broker raises itself to close one connection, with its reason. */
export class ListenerError extends Error {
  override readonly name = 'ListenerError';
  constructor(
    readonly reason: DropReason,
    message: string,
  ) {
    super(message);
  }
}

/** The reason for an error that ended a connection (ours, aedes', mqtt-packet's, ws' or the system's). */
export function dropReasonOf(error: Error): DropReason {
  if (error instanceof ListenerError) return error.reason;
  // aedes' own messages (lib/client.js, lib/handlers/connect.js, the drain timer).
  if (error.message === 'connect did not arrive in time') return 'connect_timeout';
  if (error.message === 'keep alive timeout') return 'keepalive_timeout';
  if (error.message === 'drain timeout') return 'network';
  const code = 'code' in error && typeof error.code === 'string' ? error.code : undefined;
  if (code?.startsWith('WS_ERR_')) return 'websocket';
  if (code !== undefined && /^E[A-Z]+$/.test(code)) return 'network'; // ECONNRESET, EPIPE, ETIMEDOUT...
  return 'protocol'; // mqtt-packet's parser errors and aedes' protocol checks have no code
}
