import type { Scores } from './types.js';

/**
 * Labels and scores from class probabilities, as the builtin `predict` does:
 * the most probable class (the first in class order on a tie); the score is
 * P(positive class) for a binary model, P(label) otherwise.
 */
export function scoresFrom(probabilities: Float64Array, classes: readonly string[], positiveClass: string | null): Scores {
  const k = classes.length;
  const n = k > 0 ? probabilities.length / k : 0;
  const positive = positiveClass === null ? -1 : classes.indexOf(positiveClass);
  const labels = new Array<string>(n);
  const scores = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const base = i * k;
    let best = 0;
    for (let c = 1; c < k; c++) if (probabilities[base + c]! > probabilities[base + best]!) best = c;
    labels[i] = classes[best]!;
    scores[i] = probabilities[base + (positive >= 0 ? positive : best)]!;
  }
  return { classes, probabilities, labels, scores };
}
