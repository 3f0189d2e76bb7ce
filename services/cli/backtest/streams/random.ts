/**
 * Draws for the stream generators, on top of driftloop's one seeded PRNG
 * (mulberry32 in services/common), so a seed fixes a stream bit for bit.
 * Every helper consumes a fixed number of uniforms per call whatever its
 * arguments, so changing noise or a drift option never shifts the features
 * that a seed produces.
 */

import { seededRandom } from '../../../common/index.js';

export interface StreamRandom {
  /** Uniform in [low, high). */
  uniform(low?: number, high?: number): number;
  /** Normal draw by Box-Muller (two uniforms, the second of the pair is dropped). */
  normal(mean?: number, sd?: number): number;
  /** True with probability `p`; always consumes one uniform, even for p = 0. */
  chance(p: number): boolean;
  /** Index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weightedIndex(weights: readonly number[]): number;
}

export function createStreamRandom(seed: number): StreamRandom {
  const next = seededRandom(seed);
  return {
    uniform: (low = 0, high = 1) => low + (high - low) * next(),
    // 1 - u lies in (0, 1], so the log never sees 0.
    normal: (mean = 0, sd = 1) => mean + sd * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    chance: (p) => next() < p,
    weightedIndex: (weights) => {
      let rest = next() * weights.reduce((sum, w) => sum + w, 0);
      for (let i = 0; i < weights.length; i++) {
        rest -= weights[i]!;
        if (rest < 0) return i;
      }
      // Rounding can leave `rest` at ~0 past the last positive weight.
      return weights.findLastIndex((w) => w > 0);
    },
  };
}
