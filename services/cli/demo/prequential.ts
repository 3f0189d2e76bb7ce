import type { Answer } from './replay.js';

/** Rolling accuracy of the answers at a stream position. */
export interface AccuracyPoint {
  index: number;
  accuracy: number;
}

/**
 * Prequential (test-then-train) accuracy of the served answers in stream
 * order: the share right among the last `window` answers, one point every
 * `every` answers once the window is full.
 */
export function rollingAccuracy(answers: readonly Answer[], window = 500, every = 50): AccuracyPoint[] {
  const sorted = [...answers].sort((a, b) => a.index - b.index);
  const points: AccuracyPoint[] = [];
  let correct = 0;
  sorted.forEach((a, i) => {
    correct += a.correct ? 1 : 0;
    if (i >= window) correct -= sorted[i - window]!.correct ? 1 : 0;
    if (i + 1 >= Math.min(window, sorted.length) && (i + 1) % every === 0) points.push({ index: a.index, accuracy: correct / Math.min(window, i + 1) });
  });
  return points;
}

/** Accuracy of the answers that pass `filter`, and how many there were. */
export function accuracyOf(answers: readonly Answer[], filter: (a: Answer) => boolean): { accuracy: number; count: number } {
  let count = 0;
  let correct = 0;
  for (const a of answers) {
    if (!filter(a)) continue;
    count++;
    if (a.correct) correct++;
  }
  return { accuracy: count > 0 ? correct / count : Number.NaN, count };
}
