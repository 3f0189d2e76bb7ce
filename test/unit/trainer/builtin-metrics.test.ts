import { describe, expect, it } from 'vitest';
import { accuracy, logLoss, mulberry32, rocAuc } from '../../../services/trainer/builtin/index.js';

/** AUC by counting every positive-negative pair: the definition the rank formula must match. */
function pairwiseAuc(scores: number[], positive: boolean[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (!positive[i]) continue;
    for (let j = 0; j < scores.length; j++) {
      if (positive[j]) continue;
      pairs++;
      wins += scores[i]! > scores[j]! ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

describe('builtin metrics', () => {
  it('computes log loss and accuracy on a flat probability matrix', () => {
    const p = [0.9, 0.1, 0.2, 0.8, 0.6, 0.4];
    const labels = [0, 1, 1];
    expect(logLoss(p, 2, labels)).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3, 15);
    expect(accuracy(p, 2, labels)).toBeCloseTo(2 / 3, 15);
    // A certain mistake is clipped to a finite loss.
    expect(logLoss([1, 0], 2, [1])).toBeCloseTo(-Math.log(1e-15), 10);
  });

  it('computes AUC from ranks with ties counted as one half', () => {
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true])).toBe(0.75);
    expect(rocAuc([0.5, 0.5, 0.5, 0.5], [true, false, true, false])).toBe(0.5);
    expect(rocAuc([0.2, 0.3], [true, true])).toBeNaN();
    const random = mulberry32(7);
    // Scores on a coarse grid, so many ties.
    const scores = Array.from({ length: 300 }, () => Math.round(random() * 10) / 10);
    const positive = scores.map((s) => random() < s);
    expect(rocAuc(scores, positive)).toBeCloseTo(pairwiseAuc(scores, positive), 12);
  });
});
