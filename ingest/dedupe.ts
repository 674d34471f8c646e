/**
 * Remembers the last seqs seen per device and channel, in a fixed-size ring (a few hundred bytes per
 * device), so a QoS 1 redelivery is recognised. Storage is idempotent anyway (see schema.pointTime);
 * this keeps counts and alerts exact.
 */
const WINDOW = 128;

export class SeqWindow {
  readonly #rings = new Map<string, { seqs: Float64Array; next: number }>();

  /** True if (device, channel, seq) was stored recently. */
  has(deviceId: string, channel: string, seq: number): boolean {
    return this.#rings.get(`${deviceId}/${channel}`)?.seqs.includes(seq) ?? false;
  }

  /** Records a seq once its message is durably stored. */
  add(deviceId: string, channel: string, seq: number): void {
    const key = `${deviceId}/${channel}`;
    let ring = this.#rings.get(key);
    if (!ring) {
      ring = { seqs: new Float64Array(WINDOW).fill(-1), next: 0 };
      this.#rings.set(key, ring);
    }
    ring.seqs[ring.next] = seq;
    ring.next = (ring.next + 1) % WINDOW;
  }
}
