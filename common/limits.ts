/**
 * Per-client limits shared by every listener: how many connections one client (a remote address)
 * may hold open, and how fast one connection may send. A client over its limit is refused or slowed
 * on its own; everyone else is served as before. Time comes from an injectable clock.
 */

/** A token bucket: `burst` messages at once, then `perSecond` on average. */
export class TokenBucket {
  readonly #rate: number;
  readonly #burst: number;
  readonly #clock: () => number;
  #tokens: number;
  #at: number;

  constructor(perSecond: number, burst: number, clock: () => number = Date.now) {
    if (!(perSecond > 0) || !(burst >= 1))
      throw new TypeError('a token bucket needs a positive rate and a burst of 1 or more');
    this.#rate = perSecond;
    this.#burst = burst;
    this.#clock = clock;
    this.#tokens = burst;
    this.#at = clock();
  }

  /** Takes one token if there is one. */
  take(): boolean {
    this.#refill();
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }

  /** Milliseconds until a token is available (0 if one is). */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }

  #refill(): void {
    const now = this.#clock();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#at) / 1000) * this.#rate);
    this.#at = now;
  }
}

/** Counts the open connections of each client; `open` refuses one over the limit. */
export class ConnectionsPerClient {
  readonly #max: number;
  readonly #open = new Map<string, number>();

  constructor(maxPerClient: number) {
    if (!(maxPerClient >= 1)) throw new TypeError('at least one connection per client');
    this.#max = maxPerClient;
  }

  /** Counts a new connection of `client`; false (and not counted) when it already holds the maximum. */
  open(client: string): boolean {
    const n = this.#open.get(client) ?? 0;
    if (n >= this.#max) return false;
    this.#open.set(client, n + 1);
    return true;
  }

  close(client: string): void {
    const n = this.#open.get(client) ?? 0;
    if (n <= 1) this.#open.delete(client);
    else this.#open.set(client, n - 1);
  }

  count(client: string): number {
    return this.#open.get(client) ?? 0;
  }
}
