/**
 * The search's only source of randomness: mulberry32, a 32-bit seeded PRNG.
 * Every sampler draws from the `Rng` it is handed, so a study is reproducible
 * from its seed (Math.random is never used in search/).
 */

import { seededRandom } from '../../common/index.js';

export interface Rng {
  /** Uniform in [0, 1), 2^-32 resolution. */
  next(): number;
}

/** mulberry32 (Tommy Ettinger), driftloop's one seeded PRNG; `seed` is reduced to 32 bits. */
export function createRng(seed: number): Rng {
  return { next: seededRandom(seed) };
}

/** Uniform in [low, high). */
export function uniform(rng: Rng, low: number, high: number): number {
  return low + (high - low) * rng.next();
}

/** Uniform in (0, 1): for inverse-CDF sampling, where 0 would map to -Infinity. */
export function openUniform(rng: Rng): number {
  let u = rng.next();
  while (u === 0) u = rng.next();
  return u;
}

/** Uniform integer in [0, n). */
export function randomIndex(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng.next() * n));
}

/** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
export function weightedIndex(rng: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let r = rng.next() * total;
  for (let i = 0; i < weights.length; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  // Rounding can leave r at ~0 after the last positive weight.
  for (let i = weights.length - 1; i >= 0; i--) if (weights[i]! > 0) return i;
  return weights.length - 1;
}
