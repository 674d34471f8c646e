/**
 * How long to hold the refusal of a CONNECT with wrong credentials, per source address.
 *
 * Device secrets are 256-bit random: guessing one is hopeless, so locking a device id after failures
 * only let a stranger who knew the id keep the watch offline, SOS and falls included. What is worth
 * slowing is the failing connection itself (a retry loop, a scan): each failure from an address
 * within `forgetMs` of its previous one doubles the wait before that address's next refusal, from
 * `baseMs` up to `maxMs`. A connection with the right secret is never held, whatever its address
 * (thousands of watches may share a carrier-grade NAT address).
 *
 * Held refusals keep their sockets open, so at most `maxHeldPerAddress` wait at once per address;
 * beyond that the refusal is answered at once, which costs nothing to hold.
 */
import { ConnectionsPerClient } from '../common/limits.ts';

export interface RefusalDelayOptions {
  readonly baseMs?: number;
  readonly maxMs?: number;
  readonly forgetMs?: number;
  readonly maxHeldPerAddress?: number;
  /** Addresses remembered at most; the least recently failing one is forgotten first. */
  readonly maxAddresses?: number;
  readonly clock?: () => number;
}

export const REFUSAL_DELAY_DEFAULTS = {
  baseMs: 500,
  maxMs: 10_000,
  forgetMs: 10 * 60_000,
  maxHeldPerAddress: 16,
  maxAddresses: 100_000,
} as const;

export class RefusalDelay {
  readonly #o: Required<Omit<RefusalDelayOptions, 'clock'>>;
  readonly #clock: () => number;
  readonly #failures = new Map<string, { count: number; last: number }>();
  readonly #held: ConnectionsPerClient;

  constructor(options: RefusalDelayOptions = {}) {
    const o = { ...REFUSAL_DELAY_DEFAULTS, ...options };
    if (!(o.baseMs >= 0 && o.maxMs >= o.baseMs && o.forgetMs > 0 && o.maxAddresses >= 1))
      throw new TypeError('refusal delay: need 0 <= baseMs <= maxMs, forgetMs > 0 and maxAddresses >= 1');
    this.#o = o;
    this.#clock = options.clock ?? Date.now;
    this.#held = new ConnectionsPerClient(o.maxHeldPerAddress);
  }

  /**
   * Counts a failure from `address`. Returns how long to hold its refusal and how many failures the
   * address has in a row; a positive delay is a held slot, which `release` gives back.
   */
  fail(address: string): { readonly delayMs: number; readonly failures: number } {
    const now = this.#clock();
    const previous = this.#failures.get(address);
    const count = previous && now - previous.last <= this.#o.forgetMs ? previous.count + 1 : 1;
    // Re-inserted so that the map's order is the order of last failure (the oldest is forgotten first).
    this.#failures.delete(address);
    this.#failures.set(address, { count, last: now });
    if (this.#failures.size > this.#o.maxAddresses) {
      const oldest = this.#failures.keys().next();
      if (!oldest.done) this.#failures.delete(oldest.value);
    }
    const delayMs = Math.min(this.#o.maxMs, this.#o.baseMs * 2 ** Math.min(count - 1, 30));
    if (delayMs === 0 || !this.#held.open(address)) return { delayMs: 0, failures: count };
    return { delayMs, failures: count };
  }

  /** A held refusal was sent (or its connection is gone). */
  release(address: string): void {
    this.#held.close(address);
  }

  /** Refusals of `address` being held now. */
  held(address: string): number {
    return this.#held.count(address);
  }
}
