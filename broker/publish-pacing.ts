/**
 * Paces each device's PUBLISHes with a token bucket, by back-pressure rather than by dropping: a
 * publish beyond the device's rate waits, in order, before the broker handles it. The bucket is the
 * device's, not its connection's: reconnecting does not refill it.
 *
 * Why that is enough: aedes reads a connection's next chunk only once every packet of the chunk
 * before has been handled (lib/client.js, nextBatch after each handler's callback). While one of a
 * client's publishes waits, nothing more is read from that client: its TCP window fills and the
 * flood slows down at its source, and only there. Nothing it sent is lost: a publish that waits is
 * not acknowledged yet, and it is handled when its turn comes, even if the connection has closed
 * meanwhile (a QoS 1 one may then arrive twice, which the ingest removes).
 *
 * The clock is injectable: time that does not move keeps a paced client waiting.
 */
import Denque from 'denque';
import { TokenBucket } from '../common/limits.ts';

export interface PublishPacingOptions {
  /** Sustained publishes per second per client. */
  readonly perSecond: number;
  /** Publishes a client may send at once before it is paced. */
  readonly burst: number;
  readonly clock?: () => number;
  /** Publishes start (+1) or stop (-1) waiting, for a gauge. */
  readonly onWaiting?: (delta: number) => void;
}

/** One client's bucket, and the publishes waiting for its tokens (created on the first wait). */
interface Lane {
  readonly bucket: TokenBucket;
  waiting: Denque<() => void> | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class PublishPacing {
  readonly #o: PublishPacingOptions;
  /** One lane per device id: as many as the registry has devices that published. */
  readonly #lanes = new Map<string, Lane>();
  /** Lanes with publishes waiting: their timers are cleared on close. */
  readonly #busy = new Set<Lane>();
  #closed = false;

  constructor(options: PublishPacingOptions) {
    if (!(options.perSecond > 0) || !(options.burst >= 1))
      throw new TypeError('publish pacing needs a positive rate and a burst of 1 or more');
    this.#o = options;
  }

  /** Runs `handle` now if `client` is within its rate and none of its publishes waits, else in its turn. */
  admit(client: string, handle: () => void): void {
    if (this.#closed) return;
    let lane = this.#lanes.get(client);
    if (!lane) {
      lane = {
        bucket: new TokenBucket(this.#o.perSecond, this.#o.burst, this.#o.clock),
        waiting: undefined,
        timer: undefined,
      };
      this.#lanes.set(client, lane);
    }
    if ((lane.waiting === undefined || lane.waiting.length === 0) && lane.bucket.take()) return handle();
    (lane.waiting ??= new Denque()).push(handle);
    this.#o.onWaiting?.(1);
    this.#busy.add(lane);
    this.#schedule(lane);
  }

  /** Publishes of `client` waiting now. */
  waiting(client: string): number {
    return this.#lanes.get(client)?.waiting?.length ?? 0;
  }

  /** Stops every timer; what waits is dropped unacknowledged (the broker is closing). */
  close(): void {
    this.#closed = true;
    for (const lane of this.#busy) {
      clearTimeout(lane.timer);
      this.#o.onWaiting?.(-(lane.waiting?.length ?? 0));
      lane.waiting?.clear();
    }
    this.#busy.clear();
  }

  #schedule(lane: Lane): void {
    if (lane.timer !== undefined) return;
    lane.timer = setTimeout(
      () => {
        lane.timer = undefined;
        this.#drain(lane);
      },
      Math.max(1, lane.bucket.waitMs()),
    );
  }

  #drain(lane: Lane): void {
    const waiting = lane.waiting;
    // A handler may admit more of this client's publishes (aedes reads on once a chunk is done):
    // they join the queue behind the ones still waiting, so order holds.
    while (!this.#closed && waiting !== undefined && waiting.length > 0 && lane.bucket.take()) {
      const handle = waiting.shift()!;
      this.#o.onWaiting?.(-1);
      handle();
    }
    if (this.#closed) return;
    if (waiting !== undefined && waiting.length > 0) this.#schedule(lane);
    else this.#busy.delete(lane);
  }
}
