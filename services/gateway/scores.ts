import type { FeatureRow, Preprocessing } from '../trainer/builtin/index.js';
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

/** Whether every probability of row `i` is a finite number: a model fed values far beyond its training range can answer NaN. */
export function rowIsFinite(scores: Scores, i: number): boolean {
  const k = scores.classes.length;
  for (let c = i * k; c < (i + 1) * k; c++) if (!Number.isFinite(scores.probabilities[c]!)) return false;
  return Number.isFinite(scores.scores[i]!);
}

/** The numeric feature of `row` that `preprocessing` standardizes farthest from its training mean, the usual cause of a non-finite output. */
export function mostOutlyingFeature(preprocessing: Preprocessing, row: FeatureRow): { name: string; value: number; standardized: number } | null {
  let worst: { name: string; value: number; standardized: number } | null = null;
  for (const f of preprocessing.numeric) {
    const value = row.numeric[f.name];
    if (!(f.std > 0) || typeof value !== 'number' || !Number.isFinite(value)) continue;
    const standardized = (value - f.mean) / f.std;
    if (worst === null || !(Math.abs(standardized) <= Math.abs(worst.standardized))) worst = { name: f.name, value, standardized };
  }
  return worst;
}
