/** Slows down guessing: after too many failed CONNECTs for one username, refuse it for a while. */
export interface ThrottleOptions {
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly lockMs?: number;
  readonly clock?: () => number;
}

export class FailureThrottle {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #lockMs: number;
  readonly #clock: () => number;
  readonly #entries = new Map<string, { first: number; count: number; lockedUntil: number }>();

  constructor({ maxFailures = 5, windowMs = 60_000, lockMs = 60_000, clock = Date.now }: ThrottleOptions = {}) {
    this.#max = maxFailures;
    this.#windowMs = windowMs;
    this.#lockMs = lockMs;
    this.#clock = clock;
  }

  isLocked(key: string): boolean {
    const e = this.#entries.get(key);
    return e !== undefined && e.lockedUntil > this.#clock();
  }

  fail(key: string): void {
    const now = this.#clock();
    let e = this.#entries.get(key);
    if (!e || now - e.first > this.#windowMs) {
      e = { first: now, count: 0, lockedUntil: 0 };
      if (this.#entries.size >= 100_000) this.#entries.clear();
      this.#entries.set(key, e);
    }
    e.count += 1;
    if (e.count >= this.#max) e.lockedUntil = now + this.#lockMs;
  }

  succeed(key: string): void {
    this.#entries.delete(key);
  }
}
