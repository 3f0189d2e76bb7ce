/**
 * Classification metrics over flat row-major probability matrices (one row
 * per example, one column per class). Shared with the evaluator.
 */

/** Probabilities are clipped to [LOG_LOSS_EPSILON, 1] so one confident mistake gives a large but finite loss. */
export const LOG_LOSS_EPSILON = 1e-15;

/** Mean cross-entropy: -mean(log p[true class]). NaN for no rows. */
export function logLoss(probabilities: ArrayLike<number>, classCount: number, labels: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = probabilities[i * classCount + labels[i]!]!;
    sum -= Math.log(Math.max(p, LOG_LOSS_EPSILON));
  }
  return labels.length > 0 ? sum / labels.length : NaN;
}

/** Index of the largest value of row `row`; the first wins a tie. */
export function argmaxRow(probabilities: ArrayLike<number>, classCount: number, row: number): number {
  const base = row * classCount;
  let best = 0;
  for (let k = 1; k < classCount; k++) if (probabilities[base + k]! > probabilities[base + best]!) best = k;
  return best;
}

/** Share of rows whose most probable class is the label. NaN for no rows. */
export function accuracy(probabilities: ArrayLike<number>, classCount: number, labels: ArrayLike<number>): number {
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (argmaxRow(probabilities, classCount, i) === labels[i]) correct++;
  return labels.length > 0 ? correct / labels.length : NaN;
}

/**
 * ROC AUC from ranks (Mann-Whitney U): the probability that a random
 * positive scores above a random negative, ties counting one half. NaN when
 * either class is absent.
 */
export function rocAuc(scores: ArrayLike<number>, positive: ArrayLike<boolean>): number {
  const n = scores.length;
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let positiveRankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && scores[order[end]!] === scores[order[start]!]) end++;
    // Ranks start..end-1 (0-based) tie: each gets their mean, 1-based.
    const rank = (start + end + 1) / 2;
    for (let i = start; i < end; i++) {
      if (positive[order[i]!]) {
        positives++;
        positiveRankSum += rank;
      }
    }
    start = end;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
