import { ValidationError } from '../../common/index.js';
import type { CategoricalFeature, FeatureRow, NumericFeature, Preprocessing, TabularRows } from './types.js';

/** @default 100 */
export const DEFAULT_MAX_CATEGORIES = 100;

/** Preprocessing fitted on train, with the classes found there. */
export interface FittedPreprocessor extends Preprocessing {
  /** Sorted distinct labels of train. */
  classes: string[];
  /** Column names of the transformed matrix: `name` for numeric, `name=value` per category, `name=<other>` for the other bucket. */
  features: string[];
}

export interface FitPreprocessorOptions {
  /** Most frequent values kept per categorical feature (ties broken by value); the rest share an "other" column. @default 100 */
  maxCategories?: number;
}

/** A dense row-major matrix. */
export interface Matrix {
  data: Float64Array;
  rows: number;
  cols: number;
}

/** Code-unit order, so the result never depends on the locale. */
export const compareStrings = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

const isPresent = (v: number | undefined): v is number => v !== undefined && Number.isFinite(v);

/**
 * Fits standardization (population mean and std of the present values) and
 * one-hot vocabularies on train only; validation and serving rows are later
 * transformed with these statistics. A numeric feature whose present train
 * values are all equal (or that has none) gets std 0: it carried no
 * information in train, so it contributes nothing when it varies later.
 */
export function fitPreprocessor(train: TabularRows, options: FitPreprocessorOptions = {}): FittedPreprocessor {
  const maxCategories = options.maxCategories ?? DEFAULT_MAX_CATEGORIES;
  if (train.length === 0) throw new ValidationError('/train', 'has no rows');
  const numericNames = new Set<string>();
  const categoryCounts = new Map<string, Map<string, number>>();
  const labels = new Set<string>();
  for (const row of train) {
    for (const name of Object.keys(row.numeric)) numericNames.add(name);
    for (const [name, value] of Object.entries(row.categorical)) {
      let counts = categoryCounts.get(name);
      if (!counts) categoryCounts.set(name, (counts = new Map()));
      if (value === undefined || value === '') continue;
      counts.set(value, (counts.get(value) ?? 0) + 1);
    }
    labels.add(row.label);
  }

  const numeric: NumericFeature[] = [...numericNames].sort(compareStrings).map((name) => {
    let sum = 0;
    let n = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const row of train) {
      const v = row.numeric[name];
      if (isPresent(v)) {
        sum += v;
        n++;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
    const mean = n > 0 ? sum / n : 0;
    // Equal values are tested directly: their computed std is rarely exactly 0 (the mean of thousands of copies
    // of 0.003467 is not 0.003467), and dividing by that rounding residue scales serving values by up to 1e18.
    if (!(min < max)) return { name, mean, std: 0 };
    let squares = 0;
    for (const row of train) {
      const v = row.numeric[name];
      if (isPresent(v)) squares += (v - mean) * (v - mean);
    }
    const std = Math.sqrt(squares / n);
    return { name, mean, std: std > 0 && Number.isFinite(std) ? std : 1 };
  });

  const categorical: CategoricalFeature[] = [...categoryCounts.keys()].sort(compareStrings).map((name) => {
    const counts = [...categoryCounts.get(name)!];
    counts.sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]));
    const kept = counts.slice(0, maxCategories).map(([value]) => value);
    return { name, categories: kept.sort(compareStrings), other: counts.length > maxCategories };
  });

  const classes = [...labels].sort(compareStrings);
  return { numeric, categorical, classes, features: featureNames({ numeric, categorical }) };
}

/** Column names of the transformed matrix, in order. */
export function featureNames(preprocessing: Preprocessing): string[] {
  const names = preprocessing.numeric.map((f) => f.name);
  for (const f of preprocessing.categorical) {
    for (const value of f.categories) names.push(`${f.name}=${value}`);
    if (f.other) names.push(`${f.name}=<other>`);
  }
  return names;
}

/** Width of the transformed matrix. */
export function inputWidth(preprocessing: Preprocessing): number {
  let width = preprocessing.numeric.length;
  for (const f of preprocessing.categorical) width += f.categories.length + (f.other ? 1 : 0);
  return width;
}

/**
 * Rows to the model's input matrix: standardized numerics (a missing or
 * non-finite value becomes 0, the train mean; every value of a feature with
 * std 0, constant in train, becomes 0 too), then the one-hot columns of
 * each categorical feature (missing: all zeros; outside the vocabulary: the
 * "other" column where there is one, all zeros otherwise). Features the
 * preprocessing does not know are ignored.
 */
export function transform(preprocessing: Preprocessing, rows: readonly FeatureRow[]): Matrix {
  const cols = inputWidth(preprocessing);
  const data = new Float64Array(rows.length * cols);
  // Category lookups built once per call rather than searched per row.
  const lookups = preprocessing.categorical.map((f) => new Map(f.categories.map((value, i) => [value, i])));
  for (let r = 0; r < rows.length; r++) {
    // Served rows come from JSON: tolerate a missing numeric or categorical object as all-missing.
    const numeric = rows[r]!.numeric ?? {};
    const categorical = rows[r]!.categorical ?? {};
    const base = r * cols;
    let c = 0;
    for (const f of preprocessing.numeric) {
      const v = numeric[f.name];
      data[base + c] = f.std > 0 && isPresent(v) ? (v - f.mean) / f.std : 0;
      c++;
    }
    for (let k = 0; k < preprocessing.categorical.length; k++) {
      const f = preprocessing.categorical[k]!;
      const value = categorical[f.name];
      if (value !== undefined && value !== '') {
        const index = lookups[k]!.get(value);
        if (index !== undefined) data[base + c + index] = 1;
        else if (f.other) data[base + c + f.categories.length] = 1;
      }
      c += f.categories.length + (f.other ? 1 : 0);
    }
  }
  return { data, rows: rows.length, cols };
}

/** Labels to class indices; `path` names the row set in the error for a label train did not have. */
export function encodeLabels(classes: readonly string[], rows: TabularRows, path: string): Int32Array {
  const index = new Map(classes.map((c, i) => [c, i]));
  const out = new Int32Array(rows.length);
  for (let r = 0; r < rows.length; r++) {
    const k = index.get(rows[r]!.label);
    if (k === undefined) {
      throw new ValidationError(`${path}/${r}/label`, `${JSON.stringify(rows[r]!.label)} is not a class seen in train (classes: ${classes.join(', ')})`);
    }
    out[r] = k;
  }
  return out;
}
