/**
 * What every WebSocket listener gets: a hand-made upgrade (right or wrong), then frames. Shared by
 * the live channel, the MQTT relay, the broker's WebSocket listener and the SFU's signalling.
 */
import { HOSTILE_FRAMES, frame } from '../../../tests/support/raw-ws.ts';
import type { RawConn } from '../conn.ts';
import type { Outcome } from '../model.ts';
import type { Rng } from '../random.ts';
import { answerHead, closeCode, serverFrames, type UpgradeRequest } from '../ws-wire.ts';

/** A Sec-WebSocket-Key drawn from the input's stream. */
export function wsKey(rng: Rng): string {
  return rng.bytes(16).toString('base64');
}

/** An upgrade broken in one of the ways a handshake can be (RFC 6455 §4.1-4.2). */
export function badUpgrade(rng: Rng, good: UpgradeRequest): UpgradeRequest {
  return rng.pick<() => UpgradeRequest>([
    () => ({ ...good, version: rng.pick(['8', '14', '0', '', '13, 8', 'x']) }),
    () => ({ ...good, omit: new Set(['sec-websocket-key']) }),
    () => ({ ...good, key: rng.pick(['', 'short', 'a'.repeat(200), '====', rng.bytes(15).toString('base64')]) }),
    () => ({ ...good, omit: new Set(['upgrade']) }),
    () => ({ ...good, omit: new Set(['connection']) }),
    () => ({ ...good, method: rng.pick(['POST', 'PUT', 'HEAD', 'OPTIONS']) }),
    () => ({ ...good, httpVersion: 'HTTP/1.0' }),
    () => ({
      ...good,
      path: rng.pick([
        '/',
        '/nowhere',
        '/api/me',
        '/api/live/',
        '/signal/x',
        '/mqtt?x=1',
        `/${'a'.repeat(5000)}`,
        '/%2e%2e/signal',
      ]),
    }),
    () => ({ ...good, protocol: rng.pick(['mqtt, mqttv3.1', 'xmpp', '', 'mqtt\u0000', 'a'.repeat(2000)]) }),
    () => ({
      ...good,
      extra: [
        [
          'Sec-WebSocket-Extensions',
          rng.pick([
            'permessage-deflate; client_max_window_bits=8',
            'permessage-deflate; server_max_window_bits=1',
            'x-unknown',
            ';;;',
          ]),
        ],
      ],
    }),
    () => ({
      ...good,
      extra: [
        ['Upgrade', 'h2c'],
        ['Content-Length', '5'],
      ],
    }),
    () => ({ ...good, origin: rng.pick(['https://evil.example', 'null', '']) }),
    () => ({ ...good, cookie: rng.pick(['vigie_session=forged', '', `vigie_session=${'a'.repeat(8000)}`]) }),
  ])();
}

/** One of tests/support/raw-ws.ts's hostile frames (each must close only its own socket). */
export function hostileFrame(rng: Rng): { name: string; bytes: () => Buffer } {
  return rng.pick(HOSTILE_FRAMES);
}

/** Control frames and odd-but-legal framing a listener must take in its stride. */
export function oddFrame(rng: Rng): Buffer {
  return rng.pick<() => Buffer>([
    () => frame(rng.bytes(rng.int(0, 125)), { opcode: 0x9 }),
    () => frame(rng.bytes(rng.int(0, 125)), { opcode: 0xa }),
    () => frame(Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye')]), { opcode: 0x8 }),
    () => frame(Buffer.from([rng.int(0, 255), rng.int(0, 255)]), { opcode: 0x8 }),
    () => frame(Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from([0xff, 0xfe])]), { opcode: 0x8 }),
    () => frame('', { opcode: 0x1 }),
    () => frame('', { opcode: 0x2 }),
  ])();
}

/** A message split into `n` fragments (a text or binary frame, then continuations). */
export function fragments(payload: Buffer, n: number, opcode: number): Buffer {
  const parts: Buffer[] = [];
  const step = Math.max(1, Math.ceil(payload.length / n));
  for (let i = 0; i < n; i++) {
    const chunk = payload.subarray(i * step, (i + 1) * step);
    parts.push(frame(chunk, { opcode: i === 0 ? opcode : 0x0, fin: i === n - 1 }));
  }
  return Buffer.concat(parts);
}

export interface Upgraded {
  readonly conn: RawConn;
  /** The upgrade's status (101 when accepted; 0 when the answer was not HTTP or never came). */
  readonly status: number;
  /** Where the server's frames start in `conn.received`. */
  readonly framesAt: number;
}

/** What a burst of upgrades from one client got: 429 if any was refused for it, else the first other status. */
export async function manySockets(conns: readonly RawConn[]): Promise<Outcome> {
  await Promise.all(conns.map((c) => c.until((r) => answerHead(r) !== undefined, 3000)));
  const statuses = conns.map((c) => answerHead(c.received)?.status ?? 0);
  const status = statuses.includes(429) ? 429 : (statuses.find((s) => s !== 101) ?? 101);
  return { serverClosed: conns.some((c) => c.closedByServer), status };
}

/** Sends the upgrade and waits for the answer's head. */
export async function upgrade(conn: RawConn, request: Buffer): Promise<Upgraded> {
  conn.write(request);
  await conn.until((r) => answerHead(r) !== undefined, 3000);
  const head = answerHead(conn.received);
  return { conn, status: head?.status ?? 0, framesAt: head?.end ?? conn.received.length };
}

/** The server's frames so far, after the upgrade. */
export function framesOf(u: Upgraded) {
  return serverFrames(u.conn.received.subarray(u.framesAt)).frames;
}

/** The bytes of the server's binary frames so far: one stream (MQTT packets may span frames). */
export function binaryStream(u: Upgraded): Buffer {
  return Buffer.concat(
    framesOf(u)
      .filter((f) => f.opcode === 0x2 || f.opcode === 0x0)
      .map((f) => f.payload),
  );
}

/** What happened, once the input is over. */
export function wsOutcome(u: Upgraded): Outcome {
  const frames = u.status === 101 ? framesOf(u) : [];
  const code = closeCode(frames);
  return {
    // A close frame is the server hanging up too (it then waits for ours, which the tool never sends).
    serverClosed: u.conn.closedByServer || frames.some((f) => f.opcode === 0x8),
    status: u.status,
    ...(code !== undefined ? { closeCode: code } : {}),
  };
}

/**
 * A refused upgrade: the server answered (or not) and should hang up; we wait a little for that.
 * An accepted one: the caller's session runs, then we wait for the server to go quiet or hang up.
 */
export async function afterUpgrade(u: Upgraded, session: () => Promise<void>): Promise<Outcome> {
  if (u.status !== 101) {
    await u.conn.closing(1000);
    return wsOutcome(u);
  }
  await session();
  await u.conn.quiet(250, 1500);
  return wsOutcome(u);
}
