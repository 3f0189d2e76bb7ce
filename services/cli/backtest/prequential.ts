import { LOG_LOSS_EPSILON, rocAuc } from '../../trainer/builtin/index.js';

/** Test-then-train scoring of the answers a replay served, overall and per period of event time. */
export interface Prequential {
  /** One served answer: the class it gave, the probability it gave each class, and the true label. */
  add(ts: number, predicted: string, probabilities: ReadonlyMap<string, number>, label: string): void;
  readonly count: number;
  result(): { accuracy: number; logLoss: number; auc: number; overTime: [number, number, number][] };
}

/** `positive`: the class whose probability the AUC ranks by (binary problems). */
export function createPrequential(periodMs: number, positive: string): Prequential {
  let count = 0;
  let correct = 0;
  let logLoss = 0;
  const scores: number[] = [];
  const positives: boolean[] = [];
  const periods = new Map<number, { correct: number; count: number }>();
  return {
    add(ts, predicted, probabilities, label) {
      const right = predicted === label;
      count++;
      if (right) correct++;
      logLoss -= Math.log(Math.max(probabilities.get(label) ?? 0, LOG_LOSS_EPSILON));
      scores.push(probabilities.get(positive) ?? 0);
      positives.push(label === positive);
      const period = Math.floor(ts / periodMs) * periodMs;
      const p = periods.get(period) ?? { correct: 0, count: 0 };
      p.count++;
      if (right) p.correct++;
      periods.set(period, p);
    },
    get count() {
      return count;
    },
    result() {
      return {
        accuracy: count ? correct / count : Number.NaN,
        logLoss: count ? logLoss / count : Number.NaN,
        auc: count ? rocAuc(scores, positives) : Number.NaN,
        overTime: [...periods].sort((a, b) => a[0] - b[0]).map(([start, p]) => [start, p.correct / p.count, p.count]),
      };
    },
  };
}
