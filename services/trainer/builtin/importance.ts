import { compileModel } from './predict.js';
import type { ModelArtifact, TabularRow } from './types.js';

/**
 * Permutation importance (Breiman 2001; scikit-learn's
 * `permutation_importance` with one repeat): how much the model's accuracy
 * on `rows` falls when one input feature's values are moved to other rows,
 * breaking its link with the label while keeping its distribution. A feature
 * the model ignores scores 0 (or a hair either side). Deterministic: the
 * column is rotated by half the rows rather than shuffled.
 */
export function permutationImportance(artifact: ModelArtifact, rows: readonly TabularRow[]): Record<string, number> {
  const n = rows.length;
  if (n < 2) return {};
  const model = compileModel(artifact);
  const accuracy = (rs: readonly TabularRow[]): number => model.predict(rs).filter((p, i) => p.label === rs[i]!.label).length / n;
  const base = accuracy(rows);
  const shift = Math.floor(n / 2);
  const out: Record<string, number> = {};
  for (const { name } of artifact.preprocessing.numeric) {
    out[name] = base - accuracy(rows.map((r, i) => ({ ...r, numeric: withValue(r.numeric, name, rows[(i + shift) % n]!.numeric[name]) })));
  }
  for (const { name } of artifact.preprocessing.categorical) {
    out[name] = base - accuracy(rows.map((r, i) => ({ ...r, categorical: withValue(r.categorical, name, rows[(i + shift) % n]!.categorical[name]) })));
  }
  return out;
}

/** `values` with `key` set to `value`, or without it when `value` is missing. */
function withValue<T>(values: Record<string, T>, key: string, value: T | undefined): Record<string, T> {
  const { [key]: _dropped, ...rest } = values;
  return value === undefined ? rest : { ...rest, [key]: value };
}
