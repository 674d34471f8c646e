/**
 * A WebSocket client that says exactly the bytes it is told to, for hostile-input tests and the fuzz
 * tool: a raw TCP connection, a hand-made upgrade request, and frames built bit by bit (RSV bits,
 * unknown opcodes, unmasked client frames, wrong lengths, fragments). What the server answers is
 * read back: the HTTP status of a refused upgrade, the close code and reason it sends, or the end of
 * the connection.
 */
import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';

export interface FrameOptions {
  readonly fin?: boolean;
  /** RSV1..RSV3 as a 3-bit number (4 = RSV1, 2 = RSV2, 1 = RSV3). */
  readonly rsv?: number;
  /** 0x0 continuation, 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong; others are reserved. */
  readonly opcode?: number;
  /** Clients must mask (RFC 6455 §5.1); false sends an unmasked frame. */
  readonly mask?: boolean;
  /** Announce this length instead of the payload's real one. */
  readonly declaredLength?: number;
}

/** One WebSocket frame, as RFC 6455 §5.2 lays it out. */
export function frame(payload: Buffer | string, o: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const length = o.declaredLength ?? data.length;
  const masked = o.mask ?? true;
  const head: number[] = [((o.fin ?? true) ? 0x80 : 0) | (((o.rsv ?? 0) & 7) << 4) | ((o.opcode ?? 0x1) & 0xf)];
  const maskBit = masked ? 0x80 : 0;
  let extended = Buffer.alloc(0);
  if (length < 126) head.push(maskBit | length);
  else if (length < 65_536) {
    head.push(maskBit | 126);
    extended = Buffer.alloc(2);
    extended.writeUInt16BE(length);
  } else {
    head.push(maskBit | 127);
    extended = Buffer.alloc(8);
    extended.writeBigUInt64BE(BigInt(length));
  }
  if (!masked) return Buffer.concat([Buffer.from(head), extended, data]);
  const key = randomBytes(4);
  const body = Buffer.from(data);
  for (let i = 0; i < body.length; i++) body[i] = body[i]! ^ key[i % 4]!;
  return Buffer.concat([Buffer.from(head), extended, key, body]);
}

export interface RawUpgradeOptions {
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Sec-WebSocket-Protocol. */
  readonly protocol?: string;
  /** Connect from this local address (e.g. another 127.x.y.z), to look like another client. */
  readonly localAddress?: string;
}

export interface RawSocket {
  readonly socket: Socket;
  /** The HTTP status line of the upgrade answer (101 when accepted). */
  readonly status: number;
  /** The whole HTTP answer head (and body, for a refusal). */
  readonly head: string;
  send(bytes: Buffer): boolean;
  /** Resolves when the server ends the connection, with the close frame it sent, if any. */
  readonly closed: Promise<{ code: number | undefined; reason: string }>;
  destroy(): void;
}

/** Opens a TCP connection and asks for a WebSocket upgrade, by hand. */
export async function rawUpgrade(port: number, o: RawUpgradeOptions, host = '127.0.0.1'): Promise<RawSocket> {
  const socket = connect({ port, host, ...(o.localAddress ? { localAddress: o.localAddress } : {}) });
  await once(socket, 'connect');
  const lines = [
    `GET ${o.path} HTTP/1.1`,
    `Host: ${host}:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...(o.protocol ? [`Sec-WebSocket-Protocol: ${o.protocol}`] : []),
    ...Object.entries(o.headers ?? {}).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  let received = Buffer.alloc(0);
  const ended = new Promise<void>((resolve) => {
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
  });
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  const headEnd = async (): Promise<number> => {
    for (;;) {
      const at = received.indexOf('\r\n\r\n');
      if (at >= 0) return at + 4;
      const more = await Promise.race([once(socket, 'data').then(() => true), ended.then(() => false)]);
      if (!more) return received.length;
    }
  };
  const end = await headEnd();
  const head = received.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
  const frames = () => received.subarray(end);
  const closed = ended.then(() => readClose(frames()));
  return {
    socket,
    status,
    head: status === 101 ? head : received.toString('latin1'),
    send: (bytes) => socket.write(bytes),
    closed,
    destroy: () => socket.destroy(),
  };
}

/** The first close frame among the server's frames (servers do not mask). */
function readClose(bytes: Buffer): { code: number | undefined; reason: string } {
  let at = 0;
  while (at + 2 <= bytes.length) {
    const opcode = bytes[at]! & 0x0f;
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (opcode === 0x8) {
      const body = bytes.subarray(start, start + length);
      return {
        code: body.length >= 2 ? body.readUInt16BE(0) : undefined,
        reason: body.subarray(2).toString('utf8'),
      };
    }
    at = start + length;
  }
  return { code: undefined, reason: '' };
}

/** Hostile frames every WebSocket listener must survive, each closing only its own connection. */
export const HOSTILE_FRAMES: ReadonlyArray<{ readonly name: string; readonly bytes: () => Buffer }> = [
  { name: 'RSV1 set without an extension', bytes: () => frame('{}', { rsv: 4 }) },
  { name: 'RSV2 set', bytes: () => frame('{}', { rsv: 2 }) },
  { name: 'RSV3 set', bytes: () => frame('{}', { rsv: 1 }) },
  { name: 'unknown opcode 0x3', bytes: () => frame('{}', { opcode: 0x3 }) },
  { name: 'unknown control opcode 0xB', bytes: () => frame('', { opcode: 0xb }) },
  { name: 'unmasked client frame', bytes: () => frame('{}', { mask: false }) },
  { name: 'invalid UTF-8 in a text frame', bytes: () => frame(Buffer.from([0x7b, 0xc3, 0x28, 0x7d])) },
  {
    name: 'oversized message (16 MiB announced)',
    bytes: () => frame(Buffer.alloc(1024), { declaredLength: 16 * 1024 * 1024 }),
  },
  { name: 'oversized message (1 MiB sent)', bytes: () => frame(Buffer.alloc(1024 * 1024, 0x61)) },
  { name: 'fragmented control frame', bytes: () => frame('', { opcode: 0x9, fin: false }) },
  { name: 'continuation without a start', bytes: () => frame('x', { opcode: 0x0 }) },
  {
    name: 'fragment flood (10,000 empty fragments)',
    bytes: () =>
      Buffer.concat([
        frame('', { fin: false, opcode: 0x1 }),
        ...Array.from({ length: 10_000 }, () => frame('', { fin: false, opcode: 0x0 })),
      ]),
  },
  { name: 'close frame with a 1-byte body', bytes: () => frame(Buffer.from([0x03]), { opcode: 0x8 }) },
  { name: 'close code 1005 on the wire', bytes: () => frame(Buffer.from([0x03, 0xed]), { opcode: 0x8 }) },
  { name: 'ping over 125 bytes', bytes: () => frame(Buffer.alloc(200), { opcode: 0x9 }) },
];

/**
 * Sends raw bytes to an HTTP port and resolves with everything it answered, once it hung up.
 * `end`: half-close after sending (as a client that has nothing more to say), or keep writing open.
 */
export function rawHttp(port: number, bytes: string | Buffer, o: { end?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => (o.end ? socket.end(bytes) : socket.write(bytes)));
    let answer = '';
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}
