import { seededRandom } from '../common/index.js';
import { LOG_LOSS_EPSILON, compileModel, rocAuc, type ModelArtifact, type TabularRows } from '../trainer/builtin/index.js';

/** One model's answers on a holdout, per row. */
export interface Scored {
  /** Predicted label is the true one. */
  correct: Uint8Array;
  /** -ln P(true label), clipped at -ln(1e-15). */
  loss: Float64Array;
  /** P(positive class) for binary models; NaN otherwise. */
  score: Float64Array;
  /** Predicted label per row. */
  predicted: string[];
  /** Binary: the positive class the score is for; null for multi-class. */
  positiveClass: string | null;
}

export const METRICS = ['accuracy', 'log_loss', 'auc'] as const;
export type MetricName = (typeof METRICS)[number];
/** Whether a higher value is better. */
export const HIGHER_IS_BETTER: Readonly<Record<MetricName, boolean>> = { accuracy: true, log_loss: false, auc: true };

/** Scores `rows` with a model artifact; labels the model never saw count as wrong with the clipped loss. */
export function scoreRows(artifact: ModelArtifact, rows: TabularRows): Scored {
  const model = compileModel(artifact);
  const probabilities = model.predictProba(rows);
  const classes = artifact.classes;
  const positiveIndex = classes.length === 2 && artifact.positive_class !== null ? classes.indexOf(artifact.positive_class) : -1;
  const n = rows.length;
  const out: Scored = { correct: new Uint8Array(n), loss: new Float64Array(n), score: new Float64Array(n).fill(Number.NaN), predicted: new Array<string>(n), positiveClass: positiveIndex >= 0 ? classes[positiveIndex]! : null };
  for (let i = 0; i < n; i++) {
    const p = probabilities[i]!;
    let best = 0;
    for (let k = 1; k < p.length; k++) if (p[k]! > p[best]!) best = k;
    out.predicted[i] = classes[best]!;
    out.correct[i] = classes[best] === rows[i]!.label ? 1 : 0;
    const truth = classes.indexOf(rows[i]!.label);
    out.loss[i] = -Math.log(Math.max(truth >= 0 ? p[truth]! : 0, LOG_LOSS_EPSILON));
    if (positiveIndex >= 0) out.score[i] = p[positiveIndex]!;
  }
  return out;
}

/** accuracy, log loss and (binary) AUC over the rows in `index` (all rows when omitted). */
export function metricsOf(s: Scored, labels: readonly string[], index?: ArrayLike<number>): Partial<Record<MetricName, number>> {
  const n = index ? index.length : s.correct.length;
  if (n === 0) return {};
  let correct = 0;
  let loss = 0;
  for (let j = 0; j < n; j++) {
    const i = index ? index[j]! : j;
    correct += s.correct[i]!;
    loss += s.loss[i]!;
  }
  const out: Partial<Record<MetricName, number>> = { accuracy: correct / n, log_loss: loss / n };
  if (s.positiveClass !== null) {
    const scores = new Float64Array(n);
    const positive = new Array<boolean>(n);
    for (let j = 0; j < n; j++) {
      const i = index ? index[j]! : j;
      scores[j] = s.score[i]!;
      positive[j] = labels[i] === s.positiveClass;
    }
    const auc = rocAuc(scores, positive);
    if (Number.isFinite(auc)) out.auc = auc;
  }
  return out;
}

export interface Interval {
  low: number;
  high: number;
}

export interface BootstrapResult {
  candidate: Partial<Record<MetricName, Interval>>;
  champion: Partial<Record<MetricName, Interval>>;
  /** candidate − champion on the same resamples (paired). */
  difference: Partial<Record<MetricName, Interval>>;
}

/**
 * Percentile bootstrap confidence intervals (level `confidence`) of each
 * metric for both models and of their difference, resampling holdout rows
 * with replacement `resamples` times; both models see the same resample, so
 * the difference interval is paired. Seeded: the same inputs give the same
 * intervals.
 */
export function bootstrap(candidate: Scored, champion: Scored | null, labels: readonly string[], options: { resamples: number; confidence: number; seed: number }): BootstrapResult {
  const n = labels.length;
  const random = seededRandom(options.seed);
  const samples = { candidate: new Map<MetricName, number[]>(), champion: new Map<MetricName, number[]>(), difference: new Map<MetricName, number[]>() };
  const push = (into: Map<MetricName, number[]>, m: Partial<Record<MetricName, number>>): void => {
    for (const [k, v] of Object.entries(m) as [MetricName, number][]) {
      let list = into.get(k);
      if (!list) into.set(k, (list = []));
      list.push(v);
    }
  };
  const index = new Uint32Array(n);
  for (let b = 0; b < options.resamples; b++) {
    for (let j = 0; j < n; j++) index[j] = Math.floor(random() * n);
    const c = metricsOf(candidate, labels, index);
    push(samples.candidate, c);
    if (champion) {
      const h = metricsOf(champion, labels, index);
      push(samples.champion, h);
      const d: Partial<Record<MetricName, number>> = {};
      for (const k of METRICS) if (c[k] !== undefined && h[k] !== undefined) d[k] = c[k]! - h[k]!;
      push(samples.difference, d);
    }
  }
  const tail = (1 - options.confidence) / 2;
  const intervals = (from: Map<MetricName, number[]>): Partial<Record<MetricName, Interval>> =>
    Object.fromEntries([...from].map(([k, values]) => {
      values.sort((a, b) => a - b);
      return [k, { low: quantile(values, tail), high: quantile(values, 1 - tail) }];
    }));
  return { candidate: intervals(samples.candidate), champion: intervals(samples.champion), difference: intervals(samples.difference) };
}

/** Linear interpolation between order statistics of sorted `values`. */
function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const pos = q * (values.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, values.length - 1);
  return values[lo]! + (values[hi]! - values[lo]!) * (pos - lo);
}
