import type { ReferenceProfile } from './profile.js';
import type { WindowRow } from './sql/window-query.js';
import { chiSquarePValue, ksPValue } from './stats/special.js';

export type StatisticKind = 'numeric' | 'categorical' | 'prediction' | 'performance';

/** One statistic of one feature (or prediction variant) in one window. */
export interface Statistic {
  feature: string;
  kind: StatisticKind;
  variant: string;
  test: string;
  value: number;
  pValue: number | null;
  /** Values the statistic was computed on. */
  present: number;
}

/** `<kind>:<feature>:<test>`, the key adaptive thresholds and per-feature policies use. */
export function statisticKey(s: Pick<Statistic, 'kind' | 'feature' | 'test'>): string {
  return `${s.kind}:${s.feature}:${s.test}`;
}

const NUMERIC_TESTS = ['psi', 'js', 'ks', 'wasserstein', 'mean_shift', 'std_ratio', 'out_of_range'] as const;
const CATEGORICAL_TESTS = ['psi', 'js', 'chi2', 'unseen'] as const;
const PERFORMANCE_TESTS = ['accuracy', 'error_rate', 'log_loss', 'auc'] as const;

/**
 * Flattens the window query's rows into statistics, adding what ClickHouse
 * cannot compute: the KS and chi-square p-values (special functions of the
 * statistic and sample sizes) and the null rates (against the window's rows).
 */
export function windowStatistics(rows: readonly WindowRow[], profile: ReferenceProfile): Statistic[] {
  const windowRows = rows.find((r) => r.section === 'window')?.present ?? 0;
  const out: Statistic[] = [];
  const push = (feature: string, kind: StatisticKind, variant: string, test: string, value: number, present: number, pValue: number | null = null): void => {
    out.push({ feature, kind, variant, test, value, pValue, present });
  };
  const numericFeatures = new Set(profile.numeric.map((f) => f.feature));
  const categoricalFeatures = new Set(profile.categorical.map((f) => f.feature));

  for (const r of rows) {
    if (r.section === 'numeric' || r.section === 'score') {
      const kind = r.section === 'numeric' ? 'numeric' : 'prediction';
      for (const test of NUMERIC_TESTS) {
        const p = test === 'ks' ? ksPValue(r.stats.ks!, r.present, r.stats.ref_present!) : null;
        push(r.key, kind, r.variant, test, r.stats[test]!, r.present, p);
      }
      if (r.section === 'numeric') {
        numericFeatures.delete(r.key);
        push(r.key, kind, '', 'null_rate', windowRows > 0 ? 1 - r.present / windowRows : 0, windowRows);
      }
    } else if (r.section === 'categorical' || r.section === 'class') {
      const kind = r.section === 'categorical' ? 'categorical' : 'prediction';
      for (const test of CATEGORICAL_TESTS) {
        const p = test === 'chi2' ? chiSquarePValue(r.stats.chi2!, r.stats.dof!) : null;
        push(r.key, kind, r.variant, test, r.stats[test]!, r.present, p);
      }
      if (r.section === 'categorical') {
        categoricalFeatures.delete(r.key);
        push(r.key, kind, '', 'null_rate', windowRows > 0 ? 1 - r.present / windowRows : 0, windowRows);
      }
    } else if (r.section === 'performance') {
      for (const test of PERFORMANCE_TESTS) push('performance', 'performance', r.variant, test, r.stats[test]!, r.present);
    } else if (r.section === 'estimate') {
      // Confidence-based: the accuracy the calibrated scores promise, with or without labels (cbpe.ts).
      push('performance', 'performance', r.variant, 'expected_accuracy', r.stats.expected_accuracy!, r.present);
    }
  }
  // A reference feature absent from every row of a non-empty window is entirely missing.
  if (windowRows > 0) {
    for (const f of numericFeatures) push(f, 'numeric', '', 'null_rate', 1, windowRows);
    for (const f of categoricalFeatures) push(f, 'categorical', '', 'null_rate', 1, windowRows);
  }
  return out;
}
