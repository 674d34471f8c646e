/**
 * The WebSocket wire as the fuzz tool speaks it: upgrade requests built header by header (so any of
 * them can be wrong), the server's answer head, and the server's frames (unmasked, RFC 6455 §5.2).
 * Client frames come from tests/support/raw-ws.ts's `frame`.
 */

export interface UpgradeRequest {
  readonly path: string;
  readonly host: string;
  /** Sec-WebSocket-Key (base64 of 16 bytes when well formed). */
  readonly key: string;
  readonly method?: string;
  readonly httpVersion?: string;
  readonly version?: string;
  readonly protocol?: string;
  readonly origin?: string;
  readonly cookie?: string;
  /** Headers added as they are (names and values may be hostile). */
  readonly extra?: ReadonlyArray<readonly [string, string]>;
  /** Standard headers left out (lower-case names). */
  readonly omit?: ReadonlySet<string>;
}

export function upgradeRequest(r: UpgradeRequest): Buffer {
  const headers: Array<[string, string | undefined]> = [
    ['Host', r.host],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', r.key],
    ['Sec-WebSocket-Version', r.version ?? '13'],
    ['Sec-WebSocket-Protocol', r.protocol],
    ['Origin', r.origin],
    ['Cookie', r.cookie],
  ];
  const lines = [`${r.method ?? 'GET'} ${r.path} ${r.httpVersion ?? 'HTTP/1.1'}`];
  for (const [name, value] of headers) {
    if (value !== undefined && !r.omit?.has(name.toLowerCase())) lines.push(`${name}: ${value}`);
  }
  for (const [name, value] of r.extra ?? []) lines.push(`${name}: ${value}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

/** The status of an HTTP answer and where its head ends, once the head is complete. */
export function answerHead(received: Buffer): { status: number; end: number } | undefined {
  const at = received.indexOf('\r\n\r\n');
  if (at < 0) return undefined;
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(received.subarray(0, Math.min(at, 64)).toString('latin1'))?.[1]);
  return { status: Number.isFinite(status) ? status : 0, end: at + 4 };
}

/**
 * The status of an HTTP answer once its status line has arrived (0 if the answer is not HTTP), past
 * any interim 1xx answer (100 Continue).
 */
export function statusOf(received: Buffer): number | undefined {
  if (received.length < 12) return undefined;
  const text = received.subarray(0, 8192).toString('latin1');
  if (!text.startsWith('HTTP/1.')) return 0;
  for (const m of text.matchAll(/(?:^|\r\n)HTTP\/1\.[01] (\d{3})/g)) {
    const status = Number(m[1]);
    if (status >= 200 || status === 101) return status;
  }
  return Number(text.slice(9, 12)) || 0;
}

export interface ServerFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/** The complete frames at the start of `bytes`, and how many bytes they took. */
export function serverFrames(bytes: Buffer): { frames: ServerFrame[]; used: number } {
  const frames: ServerFrame[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const b0 = bytes[at]!;
    const b1 = bytes[at + 1]!;
    let length = b1 & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (start + 2 > bytes.length) break;
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (start + 8 > bytes.length) break;
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (b1 & 0x80) start += 4; // a server must not mask, but read past a mask if one does
    if (start + length > bytes.length) break;
    frames.push({ fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return { frames, used: at };
}

/** The close code the server sent, if it sent a close frame with one. */
export function closeCode(frames: readonly ServerFrame[]): number | undefined {
  const close = frames.find((f) => f.opcode === 0x8);
  return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
}
