import { describe, expect, it } from 'vitest';
import { erfc, logGaussMass, logNdtr, ndtr, truncNormPpf } from '../../../services/trainer/search/truncnorm.js';

const relativeError = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe('truncated normal numerics', () => {
  it('matches reference values of erfc and the normal CDF, tails included', () => {
    // Reference values from Python's math.erfc and scipy.special.log_ndtr.
    expect(relativeError(erfc(0.5), 0.4795001221869535)).toBeLessThan(1e-12);
    expect(relativeError(erfc(3), 2.2090496998585438e-5)).toBeLessThan(1e-12);
    expect(relativeError(erfc(5), 1.5374597944280351e-12)).toBeLessThan(1e-12);
    expect(relativeError(ndtr(1.5), 0.9331927987311419)).toBeLessThan(1e-12);
    expect(relativeError(logNdtr(-40), -804.6084420137539)).toBeLessThan(1e-12);
  });

  it('keeps the log mass of an interval finite 50 standard deviations out', () => {
    expect(logGaussMass(50, 60)).toBeCloseTo(logNdtr(-50), 9);
    expect(Math.exp(logGaussMass(-1, 1))).toBeCloseTo(0.6826894921370859, 12);
  });

  it('inverts the truncated CDF, also for intervals deep in a tail', () => {
    for (const [q, a, b] of [
      [0.5, -1, 1],
      [0.3, 0, 100],
      [0.9, -100, 0],
      [0.5, 50, 60],
      [0.001, -3, 2],
    ] as const) {
      const c = truncNormPpf(q, a, b);
      expect(c).toBeGreaterThanOrEqual(a);
      expect(c).toBeLessThanOrEqual(b);
      expect(Math.exp(logGaussMass(a, c) - logGaussMass(a, b))).toBeCloseTo(q, 9);
    }
  });
});
