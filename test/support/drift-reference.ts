/**
 * Reference implementations of the drift statistics, written for clarity
 * over raw arrays so the SQL in services/drift can be checked against them.
 * They follow the same definitions as the SQL, bucket for bucket; speed does
 * not matter here. Empty samples give NaN wherever a share would divide by 0.
 */
import { max, mean, min, standardDeviation } from 'simple-statistics';
import { chiSquarePValue } from '../../services/drift/stats/special.js';

// ---------------------------------------------------------------- profile

/**
 * ClickHouse `quantileExact(level)` on an ascending array: the element at
 * index floor(level · n), clamped to n − 1. The product is a double, as in
 * ClickHouse, so `(3/10) · 10` picks index 3 in both.
 */
export function quantileExact(sorted: readonly number[], level: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const index = Math.min(n - 1, Math.max(0, Math.floor(level * n)));
  return sorted[index] as number;
}

/** The profile grid as the SQL builds it: distinct quantileExact(R, i/K) for i = 0..K, ascending. */
export function quantileGrid(reference: readonly number[], k: number): number[] {
  const sorted = ascending(reference);
  const grid: number[] = [];
  for (let i = 0; i <= k; i++) {
    const q = quantileExact(sorted, i / k);
    if (grid.length === 0 || q !== grid[grid.length - 1]) grid.push(q);
  }
  return grid;
}

export interface NumericProfile {
  mean: number;
  /** Population standard deviation (divides by n). */
  std: number;
  min: number;
  max: number;
}

/** Summary of the reference sample, computed with simple-statistics. */
export function numericProfile(reference: readonly number[]): NumericProfile {
  return { mean: mean(reference), std: standardDeviation(reference), min: min(reference), max: max(reference) };
}

// ---------------------------------------------------------------- buckets

export interface BucketCounts {
  /** U, B_0 … B_last, O: length grid.length + 2. */
  fine: number[];
  /** U, one bin per lower edge (g_0 then each decile above g_0), O. */
  coarse: number[];
}

/**
 * Index of x among the fine buckets: 0 for U = {x < g_0}; 1 + j for
 * B_j = [g_j, g_{j+1}) (and B_last = {x = g_last}); grid.length + 1 for O.
 */
export function fineBucket(x: number, grid: readonly number[]): number {
  const first = grid[0] as number;
  const last = grid[grid.length - 1] as number;
  if (x < first) return 0;
  if (x > last) return grid.length + 1;
  let j = 0;
  while (j + 1 < grid.length && (grid[j + 1] as number) <= x) j++;
  return 1 + j;
}

/**
 * Lower edges of the coarse bins inside [g_0, g_last]: g_0, then every
 * decile above g_0 (a decile equal to g_0 would make an empty-width bin).
 */
export function coarseEdges(grid: readonly number[], deciles: readonly number[]): number[] {
  const first = grid[0] as number;
  const last = grid[grid.length - 1] as number;
  const edges = [first];
  for (const d of deciles) if (d > first && d <= last) edges.push(d);
  return edges;
}

/**
 * Index of x among the coarse bins: 0 for U; 1 + i for [e_i, e_{i+1}), the
 * last of them closed at g_last; edges.length + 1 for O.
 */
export function coarseBucket(x: number, grid: readonly number[], deciles: readonly number[]): number {
  const edges = coarseEdges(grid, deciles);
  const first = grid[0] as number;
  const last = grid[grid.length - 1] as number;
  if (x < first) return 0;
  if (x > last) return edges.length + 1;
  let i = 0;
  while (i + 1 < edges.length && (edges[i + 1] as number) <= x) i++;
  return 1 + i;
}

/** Counts of `sample` in the fine buckets of `grid` and the coarse bins of `deciles`. */
export function bucketCounts(sample: readonly number[], grid: readonly number[], deciles: readonly number[]): BucketCounts {
  const fine = new Array<number>(grid.length + 2).fill(0);
  const coarse = new Array<number>(coarseEdges(grid, deciles).length + 2).fill(0);
  for (const x of sample) {
    fine[fineBucket(x, grid)]! += 1;
    coarse[coarseBucket(x, grid, deciles)]! += 1;
  }
  return { fine, coarse };
}

/** Counts divided by their total. */
export function shares(counts: readonly number[]): number[] {
  let total = 0;
  for (const c of counts) total += c;
  return counts.map((c) => c / total);
}

// ---------------------------------------------------------------- divergences

/**
 * Population stability index of window shares `p` against reference shares
 * `q`: each share is clamped to at least `eps`, then Σ (p − q)·ln(p/q).
 */
export function psi(p: readonly number[], q: readonly number[], eps = 1e-4): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = Math.max(p[i] as number, eps);
    const qi = Math.max(q[i] as number, eps);
    sum += (pi - qi) * Math.log(pi / qi);
  }
  return sum;
}

/**
 * Jensen–Shannon distance with natural logarithms on the raw shares:
 * √(½·KL(p‖m) + ½·KL(q‖m)), m = (p + q)/2, 0·ln 0 = 0. Equals
 * scipy.spatial.distance.jensenshannon(p, q) when the shares sum to 1.
 */
export function jsDistance(p: readonly number[], q: readonly number[]): number {
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const pi = p[i] as number;
    const qi = q[i] as number;
    const mi = (pi + qi) / 2;
    if (pi > 0) divergence += 0.5 * pi * Math.log(pi / mi);
    if (qi > 0) divergence += 0.5 * qi * Math.log(qi / mi);
  }
  return Math.sqrt(Math.max(0, divergence));
}

// ---------------------------------------------------------------- distances on the grid

/** Cumulative shares through each fine bucket: F(U), F(B_0), …, F(B_last), F(O) = 1. */
function cumulativeFineShares(sample: readonly number[], grid: readonly number[]): number[] {
  const counts = bucketCounts(sample, grid, []).fine;
  const cumulative: number[] = [];
  let running = 0;
  for (const c of counts) {
    running += c;
    cumulative.push(running / sample.length);
  }
  return cumulative;
}

/**
 * KS statistic as the grid sees it: the largest |F_W − F_R| over the
 * cumulative fine buckets (U alone, U..B_j for every j, and the end where
 * both are 1).
 */
export function ksGrid(reference: readonly number[], window: readonly number[], grid: readonly number[]): number {
  const fr = cumulativeFineShares(reference, grid);
  const fw = cumulativeFineShares(window, grid);
  let d = 0;
  for (let i = 0; i < fr.length; i++) d = Math.max(d, Math.abs((fw[i] as number) - (fr[i] as number)));
  return d;
}

/**
 * 1-Wasserstein distance as the grid sees it. The tails are exact (the
 * reference has nothing outside [g_0, g_last]): Σ (g_0 − x)/n_W over window
 * values below g_0 plus Σ (x − g_last)/n_W over those above g_last. Inside,
 * Σ_{j < last} |F_W(j) − F_R(j)|·(g_{j+1} − g_j), with F(j) the cumulative
 * share through B_j, U included.
 */
export function wassersteinGrid(reference: readonly number[], window: readonly number[], grid: readonly number[]): number {
  const first = grid[0] as number;
  const last = grid[grid.length - 1] as number;
  let tails = 0;
  for (const x of window) {
    if (x < first) tails += (first - x) / window.length;
    if (x > last) tails += (x - last) / window.length;
  }
  const fr = cumulativeFineShares(reference, grid);
  const fw = cumulativeFineShares(window, grid);
  let interior = 0;
  for (let j = 0; j + 1 < grid.length; j++) {
    // Bucket B_j sits at index 1 + j, after U.
    const gap = Math.abs((fw[1 + j] as number) - (fr[1 + j] as number));
    interior += gap * ((grid[j + 1] as number) - (grid[j] as number));
  }
  return tails + interior;
}

// ---------------------------------------------------------------- exact distances

/**
 * Steps of both empirical CDFs over the merged support: for each distinct
 * value z (ascending), F_R(z) and F_W(z) after every value equal to z.
 */
function mergedSteps(reference: readonly number[], window: readonly number[]): { z: number; fr: number; fw: number }[] {
  const r = ascending(reference);
  const w = ascending(window);
  const steps: { z: number; fr: number; fw: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < r.length || j < w.length) {
    const z = Math.min(i < r.length ? (r[i] as number) : Infinity, j < w.length ? (w[j] as number) : Infinity);
    while (i < r.length && r[i] === z) i++;
    while (j < w.length && w[j] === z) j++;
    steps.push({ z, fr: i / r.length, fw: j / w.length });
  }
  return steps;
}

/** Exact two-sample KS statistic sup_x |F_W(x) − F_R(x)|, ties consumed together. */
export function ksExact(reference: readonly number[], window: readonly number[]): number {
  let d = 0;
  for (const { fr, fw } of mergedSteps(reference, window)) d = Math.max(d, Math.abs(fw - fr));
  return d;
}

/** Exact 1-Wasserstein distance ∫ |F_W − F_R| dx between the two empirical distributions. */
export function wassersteinExact(reference: readonly number[], window: readonly number[]): number {
  const steps = mergedSteps(reference, window);
  let total = 0;
  for (let k = 0; k + 1 < steps.length; k++) {
    const { z, fr, fw } = steps[k]!;
    total += Math.abs(fw - fr) * ((steps[k + 1]!.z) - z);
  }
  return total;
}

// ---------------------------------------------------------------- categorical

export type CategoryCounts = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

export interface CategoricalStats {
  psi: number;
  js: number;
  /** Pearson statistic of the 2 × B contingency table over the bins seen at least once. */
  chi2: number;
  dof: number;
  pValue: number;
  /** Share of the window in categories the reference never saw. */
  unseenRate: number;
}

/**
 * Drift of a categorical feature. Bins: every reference category (sorted by
 * name; the order does not change any statistic) plus one pooled `unseen`
 * bin for window categories absent from the reference.
 */
export function categoricalStats(referenceCounts: CategoryCounts, windowCounts: CategoryCounts, eps = 1e-4): CategoricalStats {
  const ref = toMap(referenceCounts);
  const win = toMap(windowCounts);
  const categories = [...ref.keys()].sort();
  const refBins = categories.map((c) => ref.get(c) ?? 0);
  const winBins = categories.map((c) => win.get(c) ?? 0);
  let unseen = 0;
  for (const [category, count] of win) if (!ref.has(category)) unseen += count;
  refBins.push(0);
  winBins.push(unseen);

  const refShares = shares(refBins);
  const winShares = shares(winBins);
  const nRef = sum(refBins);
  const nWin = sum(winBins);
  const n = nRef + nWin;

  let chi2 = 0;
  let used = 0;
  for (let b = 0; b < refBins.length; b++) {
    const column = (refBins[b] as number) + (winBins[b] as number);
    if (column === 0) continue;
    used += 1;
    const expectedRef = (nRef * column) / n;
    const expectedWin = (nWin * column) / n;
    chi2 += ((refBins[b] as number) - expectedRef) ** 2 / expectedRef;
    chi2 += ((winBins[b] as number) - expectedWin) ** 2 / expectedWin;
  }
  const dof = used - 1;
  return {
    psi: psi(winShares, refShares, eps),
    js: jsDistance(winShares, refShares),
    chi2,
    dof,
    pValue: chiSquarePValue(chi2, dof),
    unseenRate: unseen / nWin,
  };
}

// ---------------------------------------------------------------- performance

export interface ScoredRow {
  label: string;
  prediction: string;
  /** P(label = positive), or null when the model gave no score. */
  score: number | null;
}

export interface BinaryPerformance {
  accuracy: number;
  errorRate: number;
  /** Mean log loss over the rows with a score, scores clipped to [1e-15, 1 − 1e-15]. */
  logLoss: number;
  /** P(score of a positive > score of a negative), ties counting ½; NaN when a class is absent. */
  auc: number;
}

const LOG_LOSS_CLIP = 1e-15;

/** Binary classification metrics; `positive` names the positive label. */
export function performance(rows: readonly ScoredRow[], positive: string): BinaryPerformance {
  let correct = 0;
  for (const row of rows) if (row.prediction === row.label) correct += 1;
  const accuracy = correct / rows.length;

  const scored = rows.filter((row): row is ScoredRow & { score: number } => row.score !== null);
  let loss = 0;
  for (const row of scored) {
    const p = Math.min(1 - LOG_LOSS_CLIP, Math.max(LOG_LOSS_CLIP, row.score));
    loss += row.label === positive ? -Math.log(p) : -Math.log(1 - p);
  }

  return { accuracy, errorRate: 1 - accuracy, logLoss: loss / scored.length, auc: mannWhitneyAuc(scored, positive) };
}

/**
 * AUC from the Mann–Whitney U statistic: rank all scores (tied scores share
 * their average rank), U = (sum of positive ranks) − n₊(n₊ + 1)/2,
 * AUC = U/(n₊·n₋). Equal to counting pairs, with ties as ½.
 */
function mannWhitneyAuc(rows: readonly { label: string; score: number }[], positive: string): number {
  const sorted = [...rows].sort((a, b) => a.score - b.score);
  let positives = 0;
  let positiveRankSum = 0;
  let start = 0;
  while (start < sorted.length) {
    let end = start;
    while (end < sorted.length && sorted[end]!.score === sorted[start]!.score) end++;
    // Ranks start..end-1 (1-based: start+1..end) share their average.
    const averageRank = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) {
      if (sorted[k]!.label === positive) {
        positives += 1;
        positiveRankSum += averageRank;
      }
    }
    start = end;
  }
  const negatives = sorted.length - positives;
  if (positives === 0 || negatives === 0) return Number.NaN;
  return (positiveRankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

// ---------------------------------------------------------------- helpers

function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

function toMap(counts: CategoryCounts): ReadonlyMap<string, number> {
  return counts instanceof Map ? counts : new Map(Object.entries(counts));
}
