/**
 * Remembers the last seqs seen per device and channel, in a fixed-size ring (a few hundred bytes per
 * device), so a QoS 1 redelivery is recognised. Storage is idempotent anyway (see schema.pointTime);
 * this keeps counts and alerts exact.
 */
const WINDOW = 128;

/** The last seqs stored of one device's channel. */
export class SeqRing {
  readonly #seqs = new Float64Array(WINDOW).fill(-1);
  #next = 0;
  /** The highest seq recorded: a watch counts up, so a seq above it is new without a search. */
  #max = -1;

  /** True if `seq` was stored recently. */
  has(seq: number): boolean {
    return seq <= this.#max && this.#seqs.includes(seq);
  }

  /** Records a seq once its message is durably stored. */
  add(seq: number): void {
    this.#seqs[this.#next] = seq;
    this.#next = (this.#next + 1) % WINDOW;
    if (seq > this.#max) this.#max = seq;
  }
}

export class SeqWindow {
  readonly #rings = new Map<string, SeqRing>();

  /** The ring of a device's channel (looked up once per message, then tested per seq). */
  of(deviceId: string, channel: string): SeqRing {
    const key = `${deviceId}/${channel}`;
    let ring = this.#rings.get(key);
    if (!ring) {
      ring = new SeqRing();
      this.#rings.set(key, ring);
    }
    return ring;
  }
}
