/**
 * What one client may hold and send on the signalling WebSocket (see README, "Configuration", and
 * SIGNALLING.md, "Limits"). A client over a limit is refused or closed on its own; the others carry on.
 */
export interface SignallingLimits {
  /** A socket without a successful `join` this long after opening is closed with CLOSE.joinTimeout. */
  readonly joinTimeoutMs: number;
  /** Open signalling sockets per remote address; the upgrade beyond is refused with HTTP 429. */
  readonly maxSocketsPerClient: number;
  /** Messages (and pings) per socket, as a token bucket; beyond it the socket is closed with CLOSE.policy. */
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
}

export const DEFAULT_SIGNALLING_LIMITS: SignallingLimits = Object.freeze({
  joinTimeoutMs: 5_000,
  maxSocketsPerClient: 20,
  messagesPerSecond: 30,
  messageBurst: 100,
});

/** The limits given, the defaults for the others; a TypeError names the first one that cannot work. */
export function signallingLimits(given: Partial<SignallingLimits> = {}): SignallingLimits {
  const limits = { ...DEFAULT_SIGNALLING_LIMITS, ...given };
  if (!(limits.joinTimeoutMs > 0)) throw new TypeError('joinTimeoutMs must be a positive duration');
  if (!(Number.isInteger(limits.maxSocketsPerClient) && limits.maxSocketsPerClient >= 1))
    throw new TypeError('maxSocketsPerClient must be a whole number, 1 or more');
  if (!(limits.messagesPerSecond > 0)) throw new TypeError('messagesPerSecond must be positive');
  if (!(limits.messageBurst >= 1)) throw new TypeError('messageBurst must be 1 or more');
  return Object.freeze(limits);
}

/**
 * The most requests a call page sends at once: joining a room of `maxParticipants` where everyone
 * else shares camera, microphone and screen. The burst must hold this, with room for a reconnection.
 */
export function joinSequenceLength(maxParticipants: number): number {
  const join = 1;
  const transports = 2 + 2; // create, then connect, the send and receive transports
  const ownMedia = 2 + 2; // produce camera and microphone, pause them if they were off in the preview
  const othersMedia = (maxParticipants - 1) * 3 * 2; // consume, then resume, each of their streams
  return join + transports + ownMedia + othersMedia;
}
