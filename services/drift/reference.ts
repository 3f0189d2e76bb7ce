import { createHash } from 'node:crypto';
import type { ClickHouse, Clock } from '../common/index.js';
import { fromDateTime64Text, systemClock } from '../common/index.js';
import { referenceCalibration } from './cbpe.js';
import type { CategoricalProfile, NumericProfile, ReferenceProfile } from './profile.js';
import { distributionParams } from './sql/distribution.js';
import { longHistogramsSql } from './sql/distribution.js';
import { numericBucketParams, numericHistogramsSql, scoreBucketsSql, type WindowBounds, type WindowRow } from './sql/window-query.js';
import { computeWindow } from './window-stats.js';
import { statisticKey, windowStatistics } from './statistics.js';

export interface ReferenceRange {
  model: string;
  modelVersion: string;
  /** Inclusive, ms. */
  from: number;
  /** Exclusive, ms. */
  to: number;
  /** Fine quantile grid size K (levels i/K). @default 1000 */
  gridSize?: number;
  /** Categories kept per feature, most frequent first. @default 1000 */
  maxCategories?: number;
  /** Reference chunks the adaptive thresholds are measured on; 0 skips them. @default 10 */
  adaptiveChunks?: number;
  /** Floor of the adaptive-threshold noise estimate (stat chunks can be identical). @default 1e-6 */
  epsilon?: number;
  /** Where windows compared with the profile start. @default to */
  monitorFrom?: number;
  /** What the profile says it was built from (and part of its id). @default `range:<from ISO>..<to ISO>` */
  source?: string;
  /**
   * Whether the range's champion predictions are this version's own, so its
   * score, class and performance reference come from them. False for a range
   * another model served (a training window): the profile then has features only.
   * @default true
   */
  servedByVersion?: boolean;
  /** The version's permutation importance per input (its training run's `importance.*` metrics), when known. */
  importance?: Record<string, number> | null;
  /** The version's accuracy on its training run's test split (`test_accuracy`), when known. */
  testAccuracy?: number | null;
}

/** `range:<from>..<to>`, ISO times: how a profile names the time range it was built from. */
export const rangeText = (from: number, to: number): string => `range:${new Date(from).toISOString()}..${new Date(to).toISOString()}`;

/** A profile's id: the same model, version, source and grid always give the same one, so a rebuild is recognised. */
export function referenceProfileId(range: Pick<ReferenceRange, 'model' | 'modelVersion' | 'from' | 'to' | 'source' | 'gridSize'>): string {
  const source = range.source ?? rangeText(range.from, range.to);
  return `prof-${createHash('sha256').update(`${range.model}\n${range.modelVersion}\n${source}\n${range.gridSize ?? 1000}`).digest('hex').slice(0, 16)}`;
}

const RANGE = `model = {model:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')`;

/**
 * Builds the reference profile of a model version from a time range of its
 * ingested features and predictions, all in ClickHouse: quantile grids
 * (quantileExact semantics: element floor(level * n) of the sorted values),
 * moments, category counts, the champion's score and class distribution
 * and reference performance where labels exist (unless `servedByVersion` is
 * false), and adaptive thresholds.
 */
export async function buildReferenceProfile(clickhouse: ClickHouse, range: ReferenceRange, clock: Clock = systemClock): Promise<ReferenceProfile> {
  const K = range.gridSize ?? 1000;
  const params = { model: range.model, from: range.from, to: range.to, K, maxCategories: range.maxCategories ?? 1000, serving: 'champion' };
  const total = await countFeatures(clickhouse, range);

  const numericRows = await clickhouse.query<QuantileRow & { feature: string }>(
    `SELECT k AS feature, ${QUANTILES} FROM {db:Identifier}.features ARRAY JOIN mapKeys(numeric) AS k, mapValues(numeric) AS v
     WHERE ${RANGE} AND NOT isNaN(v) GROUP BY k ORDER BY k`,
    params,
  );
  const numeric = numericRows.map((r) => numericProfile(r.feature, r, total));
  if (numeric.length > 0) await fillFineCounts(clickhouse, numeric, numericHistogramsSql(numeric.length, RANGE), numericBucketParams(numeric), params);

  const categoryRows = await clickhouse.query<{ feature: string; categories: string[]; counts: string[]; present: string }>(
    `SELECT k AS feature, groupArray({maxCategories:UInt32})(val) AS categories, groupArray({maxCategories:UInt32})(c) AS counts, sum(c) AS present
     FROM (SELECT k, val, count() AS c FROM {db:Identifier}.features ARRAY JOIN mapKeys(categorical) AS k, mapValues(categorical) AS val WHERE ${RANGE} GROUP BY k, val ORDER BY k, c DESC, val)
     GROUP BY k ORDER BY k`,
    params,
  );
  const categorical = categoryRows.map((r) => categoricalProfile(r.feature, r, total));

  const served = range.servedByVersion === false ? { score: null, classes: null, positive: null } : await servedPredictions(clickhouse, params);

  const profile: ReferenceProfile = {
    model: range.model,
    modelVersion: range.modelVersion,
    profileId: referenceProfileId(range),
    builtAt: clock.now(),
    source: range.source ?? rangeText(range.from, range.to),
    monitorFrom: range.monitorFrom ?? range.to,
    numeric,
    categorical,
    score: served.score,
    classes: served.classes,
    positiveLabel: served.positive,
    performance: null,
    adaptive: {},
    importance: range.importance ?? null,
    testAccuracy: range.testAccuracy ?? null,
    // Features only: the monitor completes the prediction part from the traffic this version serves from monitorFrom on.
    served: range.servedByVersion === false ? { from: range.monitorFrom ?? range.to, to: null, awaiting: 'predictions' } : null,
  };
  profile.performance = await referencePerformance(clickhouse, profile, { model: range.model, start: range.from, end: range.to });
  profile.adaptive = await adaptiveThresholds(clickhouse, profile, range);
  return profile;
}

/** Feature events of the model in the range. */
export async function countFeatures(clickhouse: ClickHouse, range: Pick<ReferenceRange, 'model' | 'from' | 'to'>): Promise<number> {
  const [row] = await clickhouse.query<{ rows: string }>(`SELECT count() AS rows FROM {db:Identifier}.features WHERE ${RANGE}`, { model: range.model, from: range.from, to: range.to });
  return Number(row?.rows ?? 0);
}

/**
 * The model's event time at processing time `at`: the newest event time of
 * its features ingested by then (null when none were). What a control event
 * stamped with the clock (a promotion) means on the events' own clock, so a
 * replay of history at any speed places it where the live system did.
 */
export async function eventTimeAt(clickhouse: ClickHouse, model: string, at: number): Promise<number | null> {
  const [row] = await clickhouse.query<{ at: string }>(
    `SELECT toString(max(ts)) AS at FROM {db:Identifier}.features WHERE model = {model:String} AND ingested_at <= fromUnixTimestamp64Milli({at:Int64}, 'UTC') HAVING count() > 0`,
    { model, at },
  );
  return row ? fromDateTime64Text(row.at) : null;
}

/** Champion predictions of `modelVersion` in [from, to), and how many of them have a label (as a window's performance counts them). */
export async function countServed(clickhouse: ClickHouse, range: Pick<ReferenceRange, 'model' | 'modelVersion' | 'from' | 'to'>): Promise<{ predictions: number; labeled: number }> {
  const [row] = await clickhouse.query<{ predictions: string; labeled: string }>(
    `SELECT count() AS predictions, countIf(event_id IN (SELECT event_id FROM {db:Identifier}.labels WHERE model = {model:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC'))) AS labeled
     FROM {db:Identifier}.predictions WHERE ${SERVED}`,
    { model: range.model, from: range.from, to: range.to, serving: 'champion', version: range.modelVersion },
  );
  return { predictions: Number(row?.predictions ?? 0), labeled: Number(row?.labeled ?? 0) };
}

/** The prediction part of a profile, built from what its version served as champion. */
export type ServedPrediction = Pick<ReferenceProfile, 'score' | 'classes' | 'positiveLabel' | 'performance' | 'adaptive'>;

/**
 * The prediction part of `profile` from the champion predictions its own
 * version (`profile.modelVersion`) served in [from, to), all in ClickHouse as
 * {@link buildReferenceProfile} does: score and class distributions, the
 * positive class, the reference performance (when `performance`; labeled
 * predictions only) and the adaptive thresholds, those of prediction
 * statistics measured on chunks of the served range, the features' kept.
 */
export async function buildServedPart(
  clickhouse: ClickHouse,
  profile: ReferenceProfile,
  range: Pick<ReferenceRange, 'from' | 'to' | 'gridSize' | 'maxCategories' | 'adaptiveChunks' | 'epsilon'> & { performance: boolean },
): Promise<ServedPrediction> {
  const params = { model: profile.model, from: range.from, to: range.to, K: range.gridSize ?? 1000, maxCategories: range.maxCategories ?? 1000, serving: 'champion', version: profile.modelVersion };
  const served = await servedPredictions(clickhouse, params, profile.modelVersion);
  const predictionsOnly: ReferenceProfile = { ...profile, numeric: [], categorical: [], score: served.score, classes: served.classes, positiveLabel: served.positive, performance: null };
  const bounds = { model: profile.model, start: range.from, end: range.to, modelVersion: profile.modelVersion };
  const performance = range.performance ? await referencePerformance(clickhouse, predictionsOnly, bounds) : null;
  const measured = await adaptiveThresholds(clickhouse, predictionsOnly, { ...range, model: profile.model, modelVersion: profile.modelVersion }, profile.modelVersion);
  const features = Object.fromEntries(Object.entries(profile.adaptive).filter(([key]) => !key.startsWith('prediction:')));
  return { score: served.score, classes: served.classes, positiveLabel: served.positive, performance, adaptive: { ...features, ...measured } };
}

const SERVED = `${RANGE} AND variant = {serving:String} AND model_version = {version:String}`;

/** The serving model's outputs in the range (of one version, with `version`): score quantiles, class counts and the class the score is the probability of. */
async function servedPredictions(
  clickhouse: ClickHouse,
  params: Record<string, unknown>,
  version?: string,
): Promise<{ score: NumericProfile | null; classes: CategoricalProfile | null; positive: string | null }> {
  // The serving model's outputs; other variants are what is being compared.
  const champion = version === undefined ? `${RANGE} AND variant = {serving:String}` : SERVED;
  const [scoreRow] = await clickhouse.query<QuantileRow & { rows: string }>(
    `SELECT count() AS rows, ${QUANTILES} FROM (SELECT score AS v FROM {db:Identifier}.predictions WHERE ${champion} AND score IS NOT NULL AND NOT isNaN(score)) HAVING count() > 0`,
    params,
  );
  const score = scoreRow ? numericProfile('score', scoreRow, Number(scoreRow.rows)) : null;
  if (score) await fillFineCounts(clickhouse, [score], longHistogramsSql(scoreBucketsSql('1', champion), 'ps', 1), distributionParams([score], 'ps'), params);

  const [classRow] = await clickhouse.query<{ categories: string[]; counts: string[]; present: string; positive: string; scored: string }>(
    `SELECT groupArray({maxCategories:UInt32})(prediction) AS categories, groupArray({maxCategories:UInt32})(c) AS counts, sum(c) AS present,
            argMax(prediction, mean_score) AS positive, sum(scored) AS scored
     FROM (SELECT prediction, count() AS c, avgIf(score, score IS NOT NULL) AS mean_score, countIf(score IS NOT NULL) AS scored
           FROM {db:Identifier}.predictions WHERE ${champion} GROUP BY prediction ORDER BY c DESC, prediction)
     HAVING count() > 0`,
    params,
  );
  const classes = classRow ? categoricalProfile('class', classRow, Number(classRow.present)) : null;
  // A class whose predictions carry the highest mean score is what the score is the probability of.
  const positive = classRow && Number(classRow.scored) > 0 && classes && classes.categories.length === 2 ? classRow.positive : null;
  return { score, classes, positive };
}

interface QuantileRow {
  present: string;
  mean: number;
  std: number;
  grid: number[];
  deciles: number[];
}

/**
 * quantileExact semantics without literal levels: the level-i/K quantile is
 * element floor(i / K * n) of the sorted values. A sorted element at rank r is
 * kept when some level maps to it; only levels ceil(r K / n) +- 1 can, so the
 * check is O(1) per value (indexing `sorted` inside a lambda over the levels
 * would copy it once per level: K x n memory).
 */
const quantilesAt = (k: string, from: number, to: string): string =>
  `arrayDistinct(arrayFilter((x, r) -> arrayExists(i -> i >= ${from} AND i <= ${to} AND least(toUInt64(floor(i / ${k} * n)), n - 1) = r,
      [toInt64(ceil(r * ${k} / n)) - 1, toInt64(ceil(r * ${k} / n)), toInt64(ceil(r * ${k} / n)) + 1]), sorted, range(n)))`;
const QUANTILES = `count() AS present, avg(v) AS mean, stddevPopStable(v) AS std,
  arraySort(groupArray(v)) AS sorted, length(sorted) AS n,
  ${quantilesAt('{K:UInt32}', 0, '{K:UInt32}')} AS grid,
  ${quantilesAt('10', 1, '9')} AS deciles`;

function numericProfile(feature: string, r: QuantileRow, rows: number): NumericProfile {
  const present = Number(r.present);
  return {
    feature,
    rows,
    present,
    mean: r.mean,
    std: r.std,
    min: r.grid[0]!,
    max: r.grid[r.grid.length - 1]!,
    nullRate: rows > 0 ? (rows - present) / rows : 0,
    grid: r.grid,
    fineCounts: [],
    deciles: r.deciles,
  };
}

function categoricalProfile(feature: string, r: { categories: string[]; counts: string[]; present: string }, rows: number): CategoricalProfile {
  const present = Number(r.present);
  return { feature, rows, present, nullRate: rows > 0 ? Math.max(0, rows - present) / rows : 0, categories: r.categories, counts: r.counts.map(Number) };
}

/** Counts the reference rows per fine bucket with the same bucketing a window uses. */
async function fillFineCounts(
  clickhouse: ClickHouse,
  profiles: NumericProfile[],
  histograms: string,
  bucketParams: Record<string, unknown>,
  params: Record<string, unknown>,
): Promise<void> {
  const rows = await clickhouse.query<{ fi: number; wc: number[] }>(`SELECT fi, wc FROM (${histograms})`, { ...bucketParams, ...params });
  for (const r of rows) profiles[r.fi - 1]!.fineCounts = r.wc.map(Number);
}

async function referencePerformance(clickhouse: ClickHouse, profile: ReferenceProfile, bounds: WindowBounds): Promise<ReferenceProfile['performance']> {
  if (profile.positiveLabel === null) return null;
  const rows = await computeWindow(clickhouse, { ...profile, numeric: [], categorical: [], score: null, classes: null }, bounds, { epsilon: 1e-4 });
  const perf = rows.find((r) => r.section === 'performance' && r.variant === 'champion');
  if (!perf || perf.present === 0) return null;
  const finite = (x: number | undefined): number | null => (x === undefined || Number.isNaN(x) ? null : x);
  const calibration = profile.score ? await referenceCalibration(clickhouse, { deciles: profile.score.deciles, positiveLabel: profile.positiveLabel }, bounds) : null;
  return { labeled: perf.present, accuracy: perf.stats.accuracy!, errorRate: perf.stats.error_rate!, logLoss: finite(perf.stats.log_loss), auc: finite(perf.stats.auc), calibration };
}

/**
 * Mean + 3 sigma of each statistic over `adaptiveChunks` equal slices of the
 * reference range, each compared with the whole reference: how much the
 * statistic moves when nothing changed.
 */
async function adaptiveThresholds(clickhouse: ClickHouse, profile: ReferenceProfile, range: ReferenceRange, modelVersion?: string): Promise<Record<string, number>> {
  const chunks = range.adaptiveChunks ?? 10;
  if (chunks < 2) return {};
  const samples = new Map<string, number[]>();
  const width = (range.to - range.from) / chunks;
  for (let c = 0; c < chunks; c++) {
    const bounds = { model: range.model, start: Math.round(range.from + c * width), end: Math.round(range.from + (c + 1) * width), ...(modelVersion === undefined ? {} : { modelVersion }) };
    const rows: WindowRow[] = await computeWindow(clickhouse, { ...profile, positiveLabel: null }, bounds, { epsilon: 1e-4 });
    for (const s of windowStatistics(rows, profile)) {
      if (!Number.isFinite(s.value)) continue;
      const key = statisticKey(s);
      samples.set(key, [...(samples.get(key) ?? []), s.value]);
    }
  }
  const out: Record<string, number> = {};
  for (const [key, values] of samples) {
    if (values.length < 2) continue;
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    out[key] = mean + 3 * Math.max(sd, range.epsilon ?? 1e-6);
  }
  return out;
}
