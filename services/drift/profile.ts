import type { Calibration } from './cbpe.js';

/** A numeric distribution of the reference: a feature, or the prediction score. */
export interface NumericProfile {
  feature: string;
  /** Rows the reference had (missing values included). */
  rows: number;
  /** Rows with a value. */
  present: number;
  mean: number;
  /** Population standard deviation. */
  std: number;
  min: number;
  max: number;
  nullRate: number;
  /** Reference quantiles at levels i/K, distinct and sorted: grid[0] = min, last = max. */
  grid: number[];
  /** Reference rows per fine bucket: [under, [g0,g1), ..., [g_last], over]; length grid.length + 2. */
  fineCounts: number[];
  /** Coarse bin edges inside (min, max]: the reference deciles, distinct. */
  deciles: number[];
}

/** A categorical distribution of the reference: a feature, or the predicted class. */
export interface CategoricalProfile {
  feature: string;
  rows: number;
  present: number;
  nullRate: number;
  categories: string[];
  counts: number[];
}

/** Reference performance, when the reference had labels. */
export interface ReferencePerformance {
  labeled: number;
  accuracy: number;
  errorRate: number;
  logLoss: number | null;
  auc: number | null;
  /** The score's calibration map on these labeled answers, for estimating accuracy without labels (cbpe.ts); absent in older profiles. */
  calibration?: Calibration | null;
}

/**
 * The prediction part of a profile built from a range its version did not
 * serve (a new champion's training window): features only at first, completed
 * by the monitor from the traffic the version serves as champion (served-reference.ts).
 */
export interface ServedPart {
  /** Where the version's own traffic starts: its promotion. */
  from: number;
  /** End (exclusive) of the served range the prediction part was built from; null while the profile has features only. */
  to: number | null;
  /** What is still missing: the prediction part, or the reference performance (a classifier whose labels had not arrived); null once complete. */
  awaiting: 'predictions' | 'performance' | null;
}

/** Per statistic key (`<kind>:<feature>:<test>`), mean + 3 sigma of the statistic over reference chunks. */
export type AdaptiveThresholds = Record<string, number>;

/**
 * What "no drift" looks like for one model version, built from a training
 * snapshot or a reference time range and stored in ClickHouse (drift_profiles).
 */
export interface ReferenceProfile {
  model: string;
  modelVersion: string;
  profileId: string;
  builtAt: number;
  /** Where it came from, e.g. `range:<from>..<to>`. */
  source: string;
  /** Windows start here. */
  monitorFrom: number;
  numeric: NumericProfile[];
  categorical: CategoricalProfile[];
  /** Score distribution of the serving (champion) predictions, if any had a score. */
  score: NumericProfile | null;
  /** Predicted class distribution, if there were predictions. */
  classes: CategoricalProfile | null;
  /** The class the score is the probability of. */
  positiveLabel: string | null;
  performance: ReferencePerformance | null;
  adaptive: AdaptiveThresholds;
  /** Set when the prediction part comes from served traffic after the profile was built; absent or null: it came with the range. */
  served?: ServedPart | null;
  /** How much the version leans on each input (permutation importance at training), when known: `importanceWeighted` policies weigh drift by it. */
  importance?: Record<string, number> | null;
  /**
   * The version's accuracy on its training run's test split, when known:
   * with accuracyReference `higher`, an accuracy drop is measured from it
   * when it is above the accuracy the version served.
   */
  testAccuracy?: number | null;
}

/** Maps each fine bucket slot (under, grid..., over) to its coarse bin: under, decile bins, over. */
export function coarseIndex(profile: Pick<NumericProfile, 'grid' | 'deciles'>): number[] {
  const edges = profile.deciles.filter((d) => d > profile.grid[0]!);
  const out = [0];
  let bin = 1;
  let next = 0;
  for (const g of profile.grid) {
    while (next < edges.length && g >= edges[next]!) {
      next++;
      bin++;
    }
    out.push(bin);
  }
  out.push(bin + 1);
  return out;
}
