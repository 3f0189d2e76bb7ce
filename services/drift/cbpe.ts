import type { ClickHouse } from '../common/index.js';
import { firstLabelsSince } from './sql/labels.js';
import type { WindowBounds } from './sql/window-query.js';

/**
 * Confidence-based performance estimation (NannyML's CBPE) for a binary
 * classifier: with calibrated scores, a prediction of the positive class at
 * score s is right with probability cal(s), one of the other class with
 * 1 - cal(s), so a window's expected accuracy is the mean of those, and it
 * needs no label. The calibration map is the positive rate per score bin
 * (the reference score's deciles) among the champion's labeled answers in
 * its reference, made monotone by isotonic regression (pool adjacent
 * violators). NannyML calibrates on a held-out split of the model's
 * training data; here the reference's own labeled answers are that split:
 * the champion's answers on the traffic it served, in ClickHouse already.
 */
export interface Calibration {
  /** Bin edges, ascending: a score s falls in bin 1 + (number of edges < s). */
  edges: number[];
  /** Calibrated P(positive) per bin: edges.length + 1 values, non-decreasing. */
  positiveRate: number[];
  /** Labeled answers the map was fitted on. */
  labeled: number;
}

/** Fewest labeled answers a calibration map is fitted on: fewer estimate nothing. */
export const MIN_CALIBRATION_ROWS = 50;

/** The bin of a score, as the SQL computes it (1-based). */
export const binExpression = (score: string, edges: string): string => `1 + arrayCount(e -> e < ${score}, ${edges})`;

/**
 * Pure: the isotonic (non-decreasing) fit of per-bin positive rates, each bin
 * weighted by its labeled count; empty bins take their neighbours' value.
 * Rates are kept inside [0.001, 0.999] so no answer is ever certain.
 */
export function fitCalibration(edges: readonly number[], bins: readonly { bin: number; n: number; positive: number }[]): Calibration | null {
  const size = edges.length + 1;
  const n = new Array<number>(size).fill(0);
  const positive = new Array<number>(size).fill(0);
  for (const b of bins) {
    if (b.bin < 1 || b.bin > size) continue;
    n[b.bin - 1]! += b.n;
    positive[b.bin - 1]! += b.positive;
  }
  const labeled = n.reduce((a, b) => a + b, 0);
  if (labeled < MIN_CALIBRATION_ROWS) return null;
  // Pool adjacent violators over the non-empty bins, in score order.
  const blocks: { from: number; to: number; n: number; positive: number }[] = [];
  for (let i = 0; i < size; i++) {
    if (n[i] === 0) continue;
    blocks.push({ from: i, to: i, n: n[i]!, positive: positive[i]! });
    while (blocks.length > 1) {
      const last = blocks[blocks.length - 1]!;
      const before = blocks[blocks.length - 2]!;
      if (before.positive / before.n <= last.positive / last.n) break;
      blocks.splice(blocks.length - 2, 2, { from: before.from, to: last.to, n: before.n + last.n, positive: before.positive + last.positive });
    }
  }
  const rate = new Array<number>(size).fill(Number.NaN);
  for (const b of blocks) for (let i = b.from; i <= b.to; i++) rate[i] = Math.min(0.999, Math.max(0.001, b.positive / b.n));
  // Empty bins: the nearest fitted bin below, else above (keeps the map non-decreasing).
  for (let i = 0; i < size; i++) if (Number.isNaN(rate[i])) rate[i] = i > 0 && !Number.isNaN(rate[i - 1]!) ? rate[i - 1]! : Number.NaN;
  for (let i = size - 1; i >= 0; i--) if (Number.isNaN(rate[i])) rate[i] = rate[i + 1]!;
  return { edges: [...edges], positiveRate: rate, labeled };
}

/**
 * The calibration map of a reference: the champion's labeled answers in
 * `bounds`, counted per bin of the reference score's deciles, then fitted.
 * Null without a score profile, a positive class, or enough labels.
 */
export async function referenceCalibration(
  clickhouse: ClickHouse,
  reference: { deciles: readonly number[]; positiveLabel: string },
  bounds: WindowBounds,
): Promise<Calibration | null> {
  const edges = [...reference.deciles];
  const ofVersion = bounds.modelVersion === undefined ? '' : ' AND p.model_version = {model_version:String}';
  const rows = await clickhouse.query<{ bin: number; n: string; positive: string }>(
    `SELECT ${binExpression('assumeNotNull(p.score)', '{edges:Array(Float64)}')} AS bin, count() AS n, countIf(l.label = {positive:String}) AS positive
     FROM {db:Identifier}.predictions AS p
     INNER JOIN (${firstLabelsSince('start')}) AS l ON p.event_id = l.event_id
     WHERE p.model = {model:String} AND p.variant = 'champion' AND p.ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC') AND p.ts < fromUnixTimestamp64Milli({end:Int64}, 'UTC')${ofVersion}
       AND p.score IS NOT NULL AND NOT isNaN(p.score) AND p.prediction != ''
     GROUP BY bin`,
    { model: bounds.model, start: bounds.start, end: bounds.end, edges, positive: reference.positiveLabel, ...(bounds.modelVersion === undefined ? {} : { model_version: bounds.modelVersion }) },
  );
  return fitCalibration(edges, rows.map((r) => ({ bin: Number(r.bin), n: Number(r.n), positive: Number(r.positive) })));
}

/**
 * The window query's section of estimated accuracy per variant: every scored
 * answer's chance of being right under the reference's calibration map,
 * averaged. Labels play no part.
 */
export function estimateSection(inWindow: string): string {
  return `
SELECT 'estimate', '', variant, toFloat64(count()), map('expected_accuracy', avg(if(prediction = {positive:String}, c, 1 - c)))
FROM (SELECT variant, prediction, arrayElement({cal_rate:Array(Float64)}, ${binExpression('assumeNotNull(score)', '{cal_edges:Array(Float64)}')}) AS c
      FROM {db:Identifier}.predictions WHERE ${inWindow} AND score IS NOT NULL AND NOT isNaN(score) AND prediction != '')
GROUP BY variant`;
}
