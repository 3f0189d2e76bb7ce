/**
 * Seeded randomness for the builtin trainers. Everything random in training
 * (initial weights, shuffles, dropout masks) comes from here so that a seed
 * fixes the result bit for bit; Math.random is never used.
 */

import { seededRandom } from '../../common/index.js';

/** mulberry32, driftloop's one seeded PRNG. Returns floats in [0, 1). */
export const mulberry32 = seededRandom;

/**
 * Independent streams for init, shuffling and dropout, drawn from one seed, so
 * that turning dropout on does not change the shuffle order or the initial weights.
 */
export function splitSeed(seed: number, streams: number): (() => number)[] {
  const root = mulberry32(seed);
  return Array.from({ length: streams }, () => mulberry32(Math.floor(root() * 4294967296)));
}

/** Standard normal draw (Box-Muller; one of the pair is dropped to keep the stream simple). */
export function normalDraw(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** In-place Fisher-Yates shuffle. */
export function shuffleInPlace(order: Uint32Array, random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}
