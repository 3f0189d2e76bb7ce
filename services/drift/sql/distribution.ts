import { coarseIndex, type NumericProfile } from '../profile.js';

/**
 * The comparison of numeric values with their reference, in SQL.
 *
 * Input: `histograms`, one row per reference `fi` (1-based) with the
 * window's `present` values, `mean`, `std`, `under_sum` / `over_sum` (sums of
 * the values below / above the reference range) and `wc`, the counts per fine
 * bucket [under, grid..., over], aligned with `ext` = [-inf, grid...,
 * nextUp(max)] ({@link wideHistogramsSql} or {@link longHistogramsSql}). The
 * fine buckets are the reference's quantiles at levels i/K (K = 1000 by
 * default), so one bucket holds at most about 1/K of the reference.
 *
 * From the histograms, per fi, with reference R and window W:
 * - PSI and Jensen-Shannon distance (natural log) on the coarse bins:
 *   under, the reference deciles, over; shares clamped to `epsilon` for PSI;
 * - Kolmogorov-Smirnov D at every fine bucket edge. It is a lower bound of the
 *   exact two-sample D, off by at most the largest single-bucket share of
 *   either side (`ks_bound`), exact when values sit on grid points;
 * - 1-Wasserstein distance: the tails beyond the reference range exactly, the
 *   inside summed per fine bucket with the CDFs at the bucket's end; divided by
 *   the reference std (`wasserstein`), raw in `wasserstein_raw`; off the
 *   exact distance by at most the sum over buckets of width x (both shares)
 *   (`wasserstein_bound`, raw units);
 * - mean shift in reference stds, std ratio, out-of-range share.
 */
export function distributionSql(histograms: string, prefix: string): string {
  const p = (name: string, type: string): string => `{${prefix}_${name}:${type}}`;
  return `
SELECT
  fi,
  present,
  mean,
  std,
  ${p('ref_present', 'Array(Float64)')}[fi] AS ref_present,
  arraySlice(ext, 2, length(ext) - 2) AS grid,
  ${p('ref_fine', 'Array(Array(UInt64))')}[fi] AS rc,
  arrayMap(x -> x / present, arrayCumSum(wc)) AS cdf_w,
  arrayMap(x -> x / ref_present, arrayCumSum(rc)) AS cdf_r,
  arrayMax(arrayMap((a, b) -> abs(a - b), cdf_w, cdf_r)) AS ks,
  greatest(arrayMax(wc) / present, arrayMax(rc) / ref_present) AS ks_bound,
  arrayConcat(arrayMap((a, b) -> b - a, arrayPopBack(grid), arrayPopFront(grid)), [0.]) AS widths,
  (wc[1] * grid[1] - under_sum + over_sum - wc[-1] * grid[-1]) / present
    + arraySum(arrayMap((a, b, w) -> abs(a - b) * w, arraySlice(cdf_w, 2, length(grid)), arraySlice(cdf_r, 2, length(grid)), widths)) AS wasserstein_raw,
  arraySum(arrayMap((a, b, w) -> (a / present + b / ref_present) * w, arraySlice(wc, 2, length(grid)), arraySlice(rc, 2, length(grid)), widths)) AS wasserstein_bound,
  ${p('ref_std', 'Array(Float64)')}[fi] AS ref_std,
  if(ref_std > 0, wasserstein_raw / ref_std, wasserstein_raw) AS wasserstein,
  if(ref_std > 0, (mean - ${p('ref_mean', 'Array(Float64)')}[fi]) / ref_std, 0.) AS mean_shift,
  if(ref_std > 0, std / ref_std, 1.) AS std_ratio,
  (wc[1] + wc[-1]) / present AS out_of_range,
  ${p('coarse', 'Array(Array(UInt16))')}[fi] AS ci,
  ${p('ref_coarse', 'Array(Array(Float64))')}[fi] AS q,
  arrayMap(j -> arraySum(arrayFilter((c, k) -> k = j, wc, ci)) / present, range(length(q))) AS pw,
  arraySum(arrayMap((a, b) -> (greatest(a, {epsilon:Float64}) - greatest(b, {epsilon:Float64})) * log(greatest(a, {epsilon:Float64}) / greatest(b, {epsilon:Float64})), pw, q)) AS psi,
  sqrt(greatest(0., 0.5 * arraySum(arrayMap((a, b) -> if(a > 0, a * log(a / ((a + b) / 2)), 0.) + if(b > 0, b * log(b / ((a + b) / 2)), 0.), pw, q)))) AS js
FROM (${histograms})
WHERE present > 0`;
}

/**
 * Histograms of the values of `columns` (one expression per reference, NaN
 * for missing) over the rows `from` yields, in one pass with one aggregate
 * state per reference: no ARRAY JOIN or GROUP BY. A value's fine bucket is
 * its roundDown onto [-inf, grid..., nextUp(max)], turned into the bucket's
 * index by `transform` (a hash lookup on the same constant array), counted by
 * countResample into an array aligned with the buckets.
 * Rows: (fi, present, mean, std, under_sum, over_sum, wc).
 */
export function wideHistogramsSql(columns: readonly string[], from: string, prefix: string): string {
  const per = columns.map((_, k) => {
    const i = k + 1;
    const v = `v${i}`;
    const g = `${prefix}_g${i}`;
    const n = `{${prefix}_n${i}:UInt32}`;
    const ok = `NOT isNaN(${v})`;
    // Squares around the reference mean: no cancellation when the values sit far from 0 (plain stddevPop has it).
    const c = `{${prefix}_c${i}:Float64}`;
    return `countIfResample(0, ${n}, 1)(${ok}, transform(roundDown(${v}, ${g}), ${g}, range(${n}), 0)) AS h${i},
    countIf(${ok}) AS n${i}, avgIf(${v}, ${ok}) AS m${i}, sumIf((${v} - ${c}) * (${v} - ${c}), ${ok}) AS d${i},
    sumIf(${v}, ${v} < ${g}[2]) AS u${i}, sumIf(${v}, ${v} > ${g}[-2]) AS o${i}`;
  });
  const std = (i: number): string => `sqrt(greatest(0., d${i} / n${i} - pow(m${i} - {${prefix}_c${i}:Float64}, 2)))`;
  const tuples = columns.map((_, k) => `(${k + 1}, toFloat64(n${k + 1}), m${k + 1}, ${std(k + 1)}, u${k + 1}, o${k + 1}, arrayMap(x -> toFloat64(x), h${k + 1}), ${prefix}_g${k + 1})`);
  return `
SELECT t.1 AS fi, t.2 AS present, t.3 AS mean, t.4 AS std, t.5 AS under_sum, t.6 AS over_sum, t.7 AS wc, t.8 AS ext
FROM (WITH ${columns.map((_, k) => `{${prefix}_g${k + 1}:Array(Float64)} AS ${prefix}_g${k + 1}`).join(', ')}
  SELECT ${per.join(', ')}, ${columns.map((_, k) => `${prefix}_g${k + 1}`).join(', ')} FROM (SELECT ${columns.map((c, k) => `${c} AS v${k + 1}`).join(', ')} FROM ${from}))
ARRAY JOIN [${tuples.join(', ')}] AS t`;
}

/**
 * The same histograms from rows `(fi, v, b)` (b from {@link bucketExpression}),
 * for sources where the reference index is a column (prediction variants).
 */
export function longHistogramsSql(buckets: string, prefix: string, references: number): string {
  const grids = `${prefix}_grids`;
  return `
WITH [${Array.from({ length: references }, (_, i) => `{${prefix}_g${i + 1}:Array(Float64)}`).join(', ')}] AS ${grids}
SELECT fi, present, mean, std, under_sum, over_sum, arrayMap(g -> m[reinterpretAsUInt64(g)], ${grids}[fi]) AS wc, ${grids}[fi] AS ext
FROM
(
  SELECT
    fi,
    sum(c) AS present,
    sum(s) / present AS mean,
    sqrt(varPopStableMerge(vs)) AS std,
    sumIf(s, b = -inf) AS under_sum,
    sumIf(s, b = ${grids}[fi][-1]) AS over_sum,
    mapFromArrays(groupArray(reinterpretAsUInt64(b)), groupArray(toFloat64(c))) AS m
  FROM (SELECT fi, b, count() AS c, sum(v) AS s, varPopStableState(v) AS vs FROM (${buckets}) GROUP BY fi, b)
  GROUP BY fi
)`;
}

/**
 * The fine bucket of `value` against reference `i` (1-based) of `prefix`: the
 * largest of [-inf, grid..., nextUp(max)] not above it, so -inf is "under"
 * and nextUp(max) "over". roundDown binary-searches a constant array; a
 * parameter of its own per reference is one (an element of an array
 * parameter is too, but measured 2x slower on 1M x 20 values, and an `if`
 * for the overflow 3x slower).
 */
export function bucketExpression(value: string, i: number, prefix: string): string {
  return `roundDown(${value}, {${prefix}_g${i}:Array(Float64)})`;
}

/** The parameters {@link distributionSql} and {@link bucketExpression} read, for references 1..n. */
export function distributionParams(profiles: readonly NumericProfile[], prefix: string): Record<string, unknown> {
  const params: Record<string, unknown> = {
    [`${prefix}_ref_fine`]: profiles.map((p) => p.fineCounts),
    [`${prefix}_ref_present`]: floatArray(profiles.map((p) => p.present)),
    [`${prefix}_ref_mean`]: floatArray(profiles.map((p) => p.mean)),
    [`${prefix}_ref_std`]: floatArray(profiles.map(effectiveStd)),
    [`${prefix}_coarse`]: profiles.map((p) => coarseIndex(p)),
    [`${prefix}_ref_coarse`]: floatArrays(profiles.map((p) => coarseShares(p))),
  };
  profiles.forEach((p, i) => {
    params[`${prefix}_g${i + 1}`] = floatArray([-Infinity, ...p.grid, nextUp(p.grid[p.grid.length - 1]!)]);
    params[`${prefix}_n${i + 1}`] = p.grid.length + 2;
    params[`${prefix}_c${i + 1}`] = floatText(p.mean);
  });
  return params;
}

/**
 * Float64 values as parameter text. Both clients send a string parameter as
 * is and the engine parses it as the declared type, so every finite double
 * and -inf travel exactly (chDB's binder refuses integer-valued floats beyond
 * 2^53 and infinities when given numbers).
 */
export function floatText(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  return String(x);
}

export function floatArray(values: readonly number[]): string {
  return `[${values.map(floatText).join(',')}]`;
}

/** The smallest double above `x` (finite x). */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

function floatArrays(values: readonly (readonly number[])[]): string {
  return `[${values.map(floatArray).join(',')}]`;
}

/**
 * The reference std the shifts are measured in; 0 (no normalization) for a
 * reference that is constant up to rounding, where dividing by the std would
 * blow a normalized Wasserstein up to 1e5. (ClickHouse's plain stddevPop gives
 * 1e-6 for 2,688 copies of one value; the monitor uses the Stable variants.)
 */
export function effectiveStd(p: Pick<NumericProfile, 'std' | 'mean'>): number {
  return p.std > 1e-9 * Math.max(1, Math.abs(p.mean)) ? p.std : 0;
}

/** Reference shares per coarse bin. */
export function coarseShares(profile: NumericProfile): number[] {
  const index = coarseIndex(profile);
  const shares = new Array<number>(index[index.length - 1]! + 1).fill(0);
  profile.fineCounts.forEach((c, slot) => (shares[index[slot]!]! += c / profile.present));
  return shares;
}
