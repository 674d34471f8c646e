/**
 * A maximum size for MQTT packets. MQTT 3.1.1 allows 256 MiB (the Remaining Length's four bytes,
 * section 2.2.3) and neither aedes 1.2 nor mqtt-packet 9 set a lower limit: the parser buffers a
 * packet until it is whole, so a client announcing a huge packet made the broker keep whatever it
 * sent. This reads each packet's fixed header as the bytes go by (no copy, no parse) and stops the
 * connection at the first packet announced over the limit, or with a Remaining Length of more than
 * four bytes (malformed, [MQTT-2.2.3]).
 */
import type { Readable } from 'node:stream';
import { ListenerError } from './listener-errors.ts';

export class PacketSizeLimit {
  readonly #max: number;
  /** Bytes of the current packet's body still to come. */
  #body = 0;
  /** After a packet's first byte, while its Remaining Length is read. */
  #inLength = false;
  #length = 0;
  #lengthBytes = 0;

  constructor(maxRemainingLength: number) {
    this.#max = maxRemainingLength;
  }

  /** Follows the next bytes of the stream; returns why the connection must close, or null. */
  scan(bytes: Uint8Array): ListenerError | null {
    let at = 0;
    while (at < bytes.length) {
      if (this.#body > 0) {
        const n = Math.min(this.#body, bytes.length - at);
        this.#body -= n;
        at += n;
        continue;
      }
      if (!this.#inLength) {
        this.#inLength = true; // the packet type and flags byte
        this.#length = 0;
        this.#lengthBytes = 0;
        at += 1;
        continue;
      }
      const byte = bytes[at]!;
      at += 1;
      this.#length += (byte & 0x7f) * 128 ** this.#lengthBytes;
      this.#lengthBytes += 1;
      if (byte & 0x80) {
        if (this.#lengthBytes === 4) return new ListenerError('protocol', 'malformed Remaining Length (MQTT-2.2.3)');
        continue;
      }
      this.#inLength = false;
      if (this.#length > this.#max)
        return new ListenerError(
          'packet_too_large',
          `packet of ${this.#length} bytes announced; the limit is ${this.#max}`,
        );
      this.#body = this.#length;
    }
    return null;
  }
}

/**
 * Applies the limit to what aedes reads from a connection. aedes reads with conn.read() when the
 * connection is readable (lib/client.js, nextBatch) and parses the whole chunk: each chunk is
 * followed here first; at a problem the connection is destroyed with it and aedes gets nothing.
 */
export function limitPacketSize(conn: Readable, maxRemainingLength: number): void {
  const limit = new PacketSizeLimit(maxRemainingLength);
  const read = conn.read.bind(conn);
  conn.read = (size?: number): unknown => {
    const chunk: unknown = read(size);
    if (!(chunk instanceof Uint8Array)) return chunk;
    const problem = limit.scan(chunk);
    if (problem === null) return chunk;
    conn.destroy(problem);
    return null;
  };
}
