import type { TabularRows } from '../trainer/builtin/index.js';
import { HIGHER_IS_BETTER, metricsOf, type BootstrapResult, type MetricName, type Scored } from './metrics.js';

export interface Gate {
  name: string;
  passed: boolean;
  value: number;
  threshold: number;
  detail: string;
}

export interface SliceResult {
  feature: string;
  value: string;
  rows: number;
  candidate: number;
  champion: number;
}

/** What the gates demand (EVAL_* options). */
export interface GatePolicy {
  /** The metric gates compare: accuracy, log_loss or auc. */
  metric: MetricName;
  /** Fewer holdout rows than this: rejected, not enough evidence. */
  minHoldoutRows: number;
  /** The candidate's metric must reach this (accuracy/auc: at least; log_loss: at most), champion or not. */
  absoluteThreshold: number;
  /** Candidate − champion on the metric (sign-adjusted so that positive is better) must be at least this. */
  minImprovement: number;
  /** The lower bound of the paired difference's confidence interval (positive is better) must be at least −margin. */
  margin: number;
  /** Slices (feature = value) with at least this many holdout rows are checked. */
  sliceMinRows: number;
  /** A slice's accuracy may fall at most this far below the champion's on it. */
  sliceTolerance: number;
}

const fmt = (v: number): string => (Number.isInteger(v) ? String(v) : v.toFixed(4));

/** Per categorical feature value: accuracy of both models on the holdout rows that have it. */
export function sliceAccuracy(rows: TabularRows, candidate: Scored, champion: Scored, minRows: number): SliceResult[] {
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    for (const [feature, value] of Object.entries(row.categorical)) {
      if (value === '' || value === undefined) continue;
      const key = `${feature}\u0000${value}`;
      let list = groups.get(key);
      if (!list) groups.set(key, (list = []));
      list.push(i);
    }
  });
  const labels = rows.map((r) => r.label);
  const out: SliceResult[] = [];
  for (const [key, index] of groups) {
    if (index.length < minRows) continue;
    const [feature, value] = key.split('\u0000') as [string, string];
    out.push({ feature, value, rows: index.length, candidate: metricsOf(candidate, labels, index).accuracy!, champion: metricsOf(champion, labels, index).accuracy! });
  }
  return out.sort((a, b) => (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : a.value < b.value ? -1 : 1));
}

/**
 * The gates a candidate must pass to be registered: enough holdout rows;
 * sanity (finite outputs, not one constant prediction); an absolute bar on
 * the metric; and, against a champion, a minimum improvement on the same
 * holdout, a confidence bound on the paired difference, and no slice worse
 * than the tolerance.
 */
export function judgeGates(input: {
  policy: GatePolicy;
  rows: TabularRows;
  candidate: Scored;
  champion: Scored | null;
  candidateMetrics: Partial<Record<MetricName, number>>;
  championMetrics: Partial<Record<MetricName, number>>;
  intervals: BootstrapResult;
  slices: SliceResult[];
}): Gate[] {
  const { policy, rows, candidate, champion } = input;
  const m = policy.metric;
  const better = HIGHER_IS_BETTER[m] ? 1 : -1;
  const gates: Gate[] = [];
  gates.push({ name: 'holdout_rows', passed: rows.length >= policy.minHoldoutRows, value: rows.length, threshold: policy.minHoldoutRows, detail: `${rows.length} labeled holdout rows (at least ${policy.minHoldoutRows} needed)` });

  let nonFinite = 0;
  for (let i = 0; i < candidate.loss.length; i++) if (!Number.isFinite(candidate.loss[i]!) || (candidate.positiveClass !== null && !Number.isFinite(candidate.score[i]!))) nonFinite++;
  gates.push({ name: 'sanity_finite', passed: nonFinite === 0, value: nonFinite, threshold: 0, detail: `${nonFinite} rows with a NaN or infinite output` });
  const distinct = new Set(candidate.predicted).size;
  let spread = 0;
  if (candidate.positiveClass !== null && candidate.score.length > 0) {
    let lo = Infinity;
    let hi = -Infinity;
    for (const s of candidate.score) {
      if (!Number.isFinite(s)) continue;
      lo = Math.min(lo, s);
      hi = Math.max(hi, s);
    }
    spread = hi - lo;
  }
  const constant = rows.length > 1 && distinct < 2 && spread < 1e-9;
  gates.push({ name: 'sanity_not_constant', passed: !constant, value: distinct, threshold: 2, detail: constant ? 'the candidate gives every row the same prediction' : `${distinct} distinct predicted labels` });

  const value = input.candidateMetrics[m];
  gates.push({
    name: `absolute_${m}`, passed: value !== undefined && better * (value - policy.absoluteThreshold) >= 0, value: value ?? Number.NaN, threshold: policy.absoluteThreshold,
    detail: `candidate ${m} ${value === undefined ? 'not computable' : fmt(value)}, ${better > 0 ? 'at least' : 'at most'} ${fmt(policy.absoluteThreshold)} required`,
  });
  if (!champion) return gates;

  const championValue = input.championMetrics[m];
  const gain = value !== undefined && championValue !== undefined ? better * (value - championValue) : Number.NaN;
  gates.push({
    name: `improvement_${m}`, passed: gain >= policy.minImprovement, value: gain, threshold: policy.minImprovement,
    detail: `candidate ${m} ${value === undefined ? '?' : fmt(value)} vs champion ${championValue === undefined ? '?' : fmt(championValue)} on the same ${rows.length} rows: ${gain >= 0 ? '+' : ''}${fmt(gain)} (at least ${fmt(policy.minImprovement)} required)`,
  });
  const diff = input.intervals.difference[m];
  const bound = diff ? (better > 0 ? diff.low : -diff.high) : Number.NaN;
  gates.push({
    name: `confidence_${m}`, passed: bound >= -policy.margin, value: bound, threshold: -policy.margin,
    detail: `the paired difference's confidence interval reaches ${fmt(bound)} on the worse side (at least ${fmt(-policy.margin)} required)`,
  });
  const worst = input.slices.reduce<SliceResult | undefined>((w, s) => (w === undefined || s.candidate - s.champion < w.candidate - w.champion ? s : w), undefined);
  const drop = worst ? worst.candidate - worst.champion : 0;
  gates.push({
    name: 'slices', passed: drop >= -policy.sliceTolerance, value: drop, threshold: -policy.sliceTolerance,
    detail: worst ? `worst slice ${worst.feature}=${worst.value} (${worst.rows} rows): accuracy ${fmt(worst.candidate)} vs champion ${fmt(worst.champion)} (${input.slices.length} slices checked)` : `no slice has ${policy.sliceMinRows} rows`,
  });
  return gates;
}
