import type { CategoricalProfile } from '../profile.js';

/**
 * The comparison of categories with their reference, in SQL. Input: a
 * subquery `source` with one row per (fi, val, c): reference index (1-based),
 * category and count. Bins are the reference categories plus one pooled
 * "unseen" bin. Per fi:
 * - PSI (shares clamped to `epsilon`) and Jensen-Shannon distance (natural log);
 * - Pearson chi-square of the 2 x bins contingency table (reference row,
 *   window row) over bins with a non-zero total, and its degrees of freedom;
 *   the p-value is computed from them in Node (ClickHouse has no incomplete gamma);
 * - unseen-category share.
 */
export function categoricalSql(source: string, prefix: string): string {
  const p = (name: string, type: string): string => `{${prefix}_${name}:${type}}`;
  const eps = '{epsilon:Float64}';
  return `
SELECT
  fi,
  present,
  arrayMap(x -> m[x], ${p('cats', 'Array(Array(String))')}[fi]) AS known,
  arrayPushBack(known, present - arraySum(known)) AS wc,
  ${p('ref', 'Array(Array(Float64))')}[fi] AS rc,
  arraySum(rc) AS ref_present,
  arrayMap(x -> x / present, wc) AS pw,
  arrayMap(x -> x / ref_present, rc) AS q,
  arraySum(arrayMap((a, b) -> (greatest(a, ${eps}) - greatest(b, ${eps})) * log(greatest(a, ${eps}) / greatest(b, ${eps})), pw, q)) AS psi,
  sqrt(greatest(0., 0.5 * arraySum(arrayMap((a, b) -> if(a > 0, a * log(a / ((a + b) / 2)), 0.) + if(b > 0, b * log(b / ((a + b) / 2)), 0.), pw, q)))) AS js,
  present + ref_present AS total,
  arraySum(arrayMap((w, r) -> if(w + r > 0,
      pow(r - ref_present * (w + r) / total, 2) / (ref_present * (w + r) / total)
    + pow(w - present * (w + r) / total, 2) / (present * (w + r) / total), 0.), wc, rc)) AS chi2,
  toFloat64(arrayCount((w, r) -> w + r > 0, wc, rc) - 1) AS dof,
  wc[-1] / present AS unseen
FROM
(
  SELECT fi, sum(c) AS present, mapFromArrays(groupArray(val), groupArray(toFloat64(c))) AS m
  FROM (${source})
  GROUP BY fi
)`;
}

/** Parameters of {@link categoricalSql} for references 1..n: their categories and counts (unseen bin 0). */
export function categoricalParams(profiles: readonly CategoricalProfile[], prefix: string): Record<string, unknown> {
  return {
    [`${prefix}_cats`]: profiles.map((p) => p.categories),
    [`${prefix}_ref`]: `[${profiles.map((p) => `[${[...p.counts, 0].join(',')}]`).join(',')}]`,
  };
}
