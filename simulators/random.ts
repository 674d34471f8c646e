/**
 * Deterministic randomness: every value is a pure function of integers (seed, watch, tick, purpose),
 * so a run is reproducible for a given seed whatever the timing of the machine.
 */

/** A 32-bit integer hash of a list of integers (the finaliser of MurmurHash3 between words). */
export function hash(...words: number[]): number {
  let h = 0x9e3779b9;
  for (const w of words) {
    let k = Math.imul(w | 0, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1). */
export function uniform(...words: number[]): number {
  return hash(...words) / 2 ** 32;
}

/** Uniform in [min, max). */
export function between(min: number, max: number, ...words: number[]): number {
  return min + (max - min) * uniform(...words);
}

/** Standard normal (Box-Muller on two derived uniforms). */
export function gaussian(...words: number[]): number {
  const u = Math.max(uniform(...words, 1), 1e-12);
  const v = uniform(...words, 2);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Purposes, so two draws for one tick never share a stream. */
export const P = {
  baseline: 1,
  noise: 2,
  activity: 3,
  missing: 4,
  scenario: 5,
  battery: 6,
} as const;
