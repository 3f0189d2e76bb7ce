/**
 * The baseline the window query is measured against: what a service that
 * computes drift in its own process (Evidently-style) does with a window:
 * pull the rows out of ClickHouse, then compute the same statistics in Node.
 */
import type { ClickHouse } from '../../../services/common/index.js';
import { coarseIndex, type NumericProfile, type ReferenceProfile } from '../../../services/drift/profile.js';
import { coarseShares } from '../../../services/drift/sql/distribution.js';
import type { WindowBounds, WindowRow } from '../../../services/drift/sql/window-query.js';
import * as ref from '../../support/drift-reference.js';

/** A window's values in columns: one Float64Array per numeric feature (NaN where missing), one string array per categorical feature. */
export interface WindowColumns {
  rows: number;
  numeric: Map<string, Float64Array>;
  categorical: Map<string, (string | null)[]>;
}

/**
 * Pulls the window's feature values through the same client the monitor
 * uses (JSONEachRow), one flat row per event with only the profile's
 * features picked out of the maps in SQL, then turns the rows into columns.
 */
export async function pullWindow(clickhouse: ClickHouse, profile: ReferenceProfile, bounds: WindowBounds): Promise<WindowColumns> {
  const params: Record<string, unknown> = { model: bounds.model, start: bounds.start, end: bounds.end };
  const columns: string[] = [];
  profile.numeric.forEach((f, i) => {
    params[`n${i}`] = f.feature;
    columns.push(`arrayElementOrNull(numeric, {n${i}:String}) AS n${i}`);
  });
  profile.categorical.forEach((f, i) => {
    params[`c${i}`] = f.feature;
    columns.push(`arrayElementOrNull(categorical, {c${i}:String}) AS c${i}`);
  });
  const rows = await clickhouse.query<Record<string, number | string | null>>(
    `SELECT ${columns.join(', ')} FROM {db:Identifier}.features
     WHERE model = {model:String} AND ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({end:Int64}, 'UTC')
     SETTINGS output_format_json_quote_denormals = 1`,
    params,
  );
  const numeric = new Map<string, Float64Array>();
  profile.numeric.forEach((f, i) => {
    const key = `n${i}`;
    const values = new Float64Array(rows.length);
    for (let r = 0; r < rows.length; r++) {
      const v = rows[r]![key];
      values[r] = v === null || v === undefined ? Number.NaN : Number(v);
    }
    numeric.set(f.feature, values);
  });
  const categorical = new Map<string, (string | null)[]>();
  profile.categorical.forEach((f, i) => {
    const key = `c${i}`;
    categorical.set(
      f.feature,
      rows.map((r) => (r[key] as string | null | undefined) ?? null),
    );
  });
  return { rows: rows.length, numeric, categorical };
}

/** The window query's rows, computed in Node from pulled columns: what windowStatistics reads. */
export type Compute = (columns: WindowColumns, profile: ReferenceProfile, options: { epsilon: number }) => WindowRow[];

/**
 * The statistics as a tuned Node service would compute them: one pass per
 * feature over a Float64Array, each value's fine bucket by binary search on
 * the reference grid, the reference side from the profile's counts; then
 * PSI and Jensen-Shannon with the reference implementations (on counts).
 */
export const computeTuned: Compute = (columns, profile, { epsilon }) => {
  const out: WindowRow[] = [{ section: 'window', key: '', variant: '', present: columns.rows, stats: {} }];
  for (const p of profile.numeric) {
    const values = columns.numeric.get(p.feature)!;
    const fine = new Array<number>(p.grid.length + 2).fill(0);
    const g = Float64Array.from(p.grid);
    const first = g[0]!;
    const last = g[g.length - 1]!;
    let present = 0;
    let sum = 0;
    let sumSquares = 0;
    let tails = 0;
    for (let r = 0; r < values.length; r++) {
      const x = values[r]!;
      if (Number.isNaN(x)) continue;
      present++;
      sum += x;
      sumSquares += x * x;
      if (x < first) {
        fine[0]!++;
        tails += first - x;
      } else if (x > last) {
        fine[g.length + 1]!++;
        tails += x - last;
      } else {
        // Largest j with g[j] <= x.
        let lo = 0;
        let hi = g.length - 1;
        while (lo < hi) {
          const mid = (lo + hi + 1) >>> 1;
          if (g[mid]! <= x) lo = mid;
          else hi = mid - 1;
        }
        fine[1 + lo]!++;
      }
    }
    out.push({ section: 'numeric', key: p.feature, variant: '', present, stats: numericStats(p, fine, present, sum, sumSquares, tails, epsilon) });
  }
  for (const p of profile.categorical) out.push(categoricalRow(p, columns.categorical.get(p.feature)!, epsilon));
  return out;
};

function numericStats(p: NumericProfile, fine: number[], present: number, sum: number, sumSquares: number, tails: number, epsilon: number): Record<string, number> {
  const mean = sum / present;
  const std = Math.sqrt(Math.max(0, sumSquares / present - mean * mean));
  let ks = 0;
  let interior = 0;
  let cw = 0;
  let cr = 0;
  for (let slot = 0; slot < fine.length; slot++) {
    cw += fine[slot]!;
    cr += p.fineCounts[slot]!;
    const gap = Math.abs(cw / present - cr / p.present);
    ks = Math.max(ks, gap);
    // Slot 1 + j is bucket B_j; its width reaches the next grid point (the last bucket has none).
    const j = slot - 1;
    if (j >= 0 && j + 1 < p.grid.length) interior += gap * (p.grid[j + 1]! - p.grid[j]!);
  }
  const index = coarseIndex(p);
  const coarse = new Array<number>(index[index.length - 1]! + 1).fill(0);
  fine.forEach((c, slot) => (coarse[index[slot]!]! += c));
  const pw = ref.shares(coarse);
  const q = coarseShares(p);
  const wassersteinRaw = tails / present + interior;
  return {
    psi: ref.psi(pw, q, epsilon),
    js: ref.jsDistance(pw, q),
    ks,
    ...shiftStats(p, wassersteinRaw, mean, std),
    out_of_range: (fine[0]! + fine[fine.length - 1]!) / present,
    ref_present: p.present,
  };
}

/** Wasserstein, mean and std and their shifts against the reference, as the query reports them. */
function shiftStats(p: NumericProfile, wassersteinRaw: number, mean: number, std: number): Record<string, number> {
  return {
    wasserstein_raw: wassersteinRaw,
    wasserstein: p.std > 0 ? wassersteinRaw / p.std : wassersteinRaw,
    mean,
    std,
    mean_shift: p.std > 0 ? (mean - p.mean) / p.std : 0,
    std_ratio: p.std > 0 ? std / p.std : 1,
  };
}

function categoricalRow(p: ReferenceProfile['categorical'][number], values: readonly (string | null)[], epsilon: number): WindowRow {
  const counts = new Map<string, number>();
  let present = 0;
  for (const v of values) {
    if (v === null) continue;
    present++;
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const reference = new Map(p.categories.map((c, i) => [c, p.counts[i]!]));
  const s = ref.categoricalStats(reference, counts, epsilon);
  return { section: 'categorical', key: p.feature, variant: '', present, stats: { psi: s.psi, js: s.js, chi2: s.chi2, dof: s.dof, unseen: s.unseenRate, ref_present: p.present } };
}

/**
 * The statistics with test/support/drift-reference.ts as written (bucketCounts,
 * ksGrid, wassersteinGrid, numericProfile, psi, jsDistance): clear code over
 * plain arrays, each value's bucket found by a linear scan of the grid, as a
 * straightforward port of the definitions would. `reference` holds the
 * reference sample per numeric feature, kept in memory between windows.
 */
export function computeAsWritten(reference: ReadonlyMap<string, readonly number[]>): Compute {
  const referenceCoarse = new Map<string, number[]>();
  return (columns, profile, { epsilon }) => {
    const out: WindowRow[] = [{ section: 'window', key: '', variant: '', present: columns.rows, stats: {} }];
    for (const p of profile.numeric) {
      const R = reference.get(p.feature)!;
      if (!referenceCoarse.has(p.feature)) referenceCoarse.set(p.feature, ref.shares(ref.bucketCounts(R, p.grid, p.deciles).coarse));
      const W = Array.from(columns.numeric.get(p.feature)!).filter((x) => !Number.isNaN(x));
      const wc = ref.bucketCounts(W, p.grid, p.deciles);
      const pw = ref.shares(wc.coarse);
      const q = referenceCoarse.get(p.feature)!;
      const { mean, std } = ref.numericProfile(W);
      const wassersteinRaw = ref.wassersteinGrid(R, W, p.grid);
      const n = W.length;
      out.push({
        section: 'numeric',
        key: p.feature,
        variant: '',
        present: n,
        stats: {
          psi: ref.psi(pw, q, epsilon),
          js: ref.jsDistance(pw, q),
          ks: ref.ksGrid(R, W, p.grid),
          ...shiftStats(p, wassersteinRaw, mean, std),
          out_of_range: (wc.fine[0]! + wc.fine[wc.fine.length - 1]!) / n,
          ref_present: p.present,
        },
      });
    }
    for (const p of profile.categorical) out.push(categoricalRow(p, columns.categorical.get(p.feature)!, epsilon));
    return out;
  };
}
