/**
 * Password hashing is deliberately slow (scrypt, 128 MiB, about 0.3 s) and runs on libuv's small
 * thread pool, which also serves the static files and the database. At most `concurrent` hashes run at
 * once and `queued` wait; anything more gets a quick 429 `server_busy` instead of a long wait, so a
 * burst of sign-ins cannot starve the pages and the live channel.
 */
import { VigieError } from '../common/errors.ts';

export class HashingGate {
  readonly #concurrent: number;
  readonly #queued: number;
  readonly #waiting: Array<() => void> = [];
  #running = 0;

  constructor(concurrent = 2, queued = 2) {
    this.#concurrent = concurrent;
    this.#queued = queued;
  }

  /** Hashes in progress (for tests and metrics). */
  get running(): number {
    return this.#running;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrent) {
      if (this.#waiting.length >= this.#queued) {
        throw new VigieError('server_busy', 'too many sign-ins at once; try again in a moment', {
          retryAfterSeconds: 1,
        });
      }
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running += 1;
    }
    try {
      return await work();
    } finally {
      const next = this.#waiting.shift();
      // The place passes straight to the next in line; otherwise it is freed.
      if (next) next();
      else this.#running -= 1;
    }
  }
}
