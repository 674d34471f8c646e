/**
 * The fuzz tool's randomness: each input draws from its own stream, a pure function of (seed,
 * listener, input number), so input n of a seed is the same bytes whatever ran before it, however
 * fast the machine, and whichever listeners were chosen. Built on the simulators' hash.
 */
import { hash } from '../../simulators/random.ts';

export class Rng {
  readonly #words: readonly number[];
  #counter = 0;

  /** `words`: the stream's identity, e.g. (seed, listener, input). */
  constructor(...words: number[]) {
    this.#words = words;
  }

  /** A 32-bit unsigned integer. */
  u32(): number {
    this.#counter += 1;
    return hash(...this.#words, this.#counter);
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.u32() / 2 ** 32;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new TypeError('pick from an empty list');
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** One of `choices`, each with its weight. */
  weighted<T>(choices: ReadonlyArray<readonly [weight: number, value: T]>): T {
    const total = choices.reduce((sum, [w]) => sum + w, 0);
    let at = this.float() * total;
    for (const [w, value] of choices) {
      at -= w;
      if (at < 0) return value;
    }
    return choices[choices.length - 1]![1];
  }

  /**
   * `n` bytes. A seeded xorshift fills them: one hash per byte would be slow for the megabyte-sized
   * inputs.
   */
  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let x = this.u32() || 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  }

  /** A string of `n` characters from `alphabet`. */
  text(n: number, alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-'): string {
    const bytes = this.bytes(n);
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[bytes[i]! % alphabet.length];
    return s;
  }

  /** A length that is mostly small, sometimes large: lengths near limits find the bugs. */
  size(max: number): number {
    return this.weighted([
      [6, this.int(0, 16)],
      [3, this.int(0, 512)],
      [1, this.int(0, max)],
    ]);
  }
}
