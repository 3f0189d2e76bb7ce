import type { NumericProfile, ReferenceProfile } from '../profile.js';
import { bucketExpression, distributionParams, distributionSql, longHistogramsSql, wideHistogramsSql } from './distribution.js';
import { categoricalParams, categoricalSql } from './categorical.js';
import { estimateSection } from '../cbpe.js';
import { firstLabelsSince } from './labels.js';

/** Prediction variants, in the order their reference index (1-based) follows. */
export const VARIANTS = ['champion', 'canary', 'shadow', 'external'] as const;

/** One row of the window query: a section's statistics for one feature or variant. */
export interface WindowRow {
  section: 'window' | 'numeric' | 'categorical' | 'score' | 'class' | 'performance' | 'estimate';
  key: string;
  variant: string;
  present: number;
  stats: Record<string, number>;
}

export interface WindowBounds {
  model: string;
  /** Inclusive, ms. */
  start: number;
  /** Exclusive, ms. */
  end: number;
  /** Only predictions of this model version (a champion's own, for its reference); absent: every version. */
  modelVersion?: string;
}

/**
 * The drift statistics of one window of one model against its reference, as
 * one ClickHouse query: a UNION ALL of the sections the profile has
 * (numeric features, categorical features, prediction scores and classes per
 * variant, performance per variant where labels arrived, and the accuracy
 * estimated from the scores where the reference has a calibration map). Every value is a
 * parameter; the text depends only on how many features the profile has.
 */
export function windowQuery(profile: ReferenceProfile, bounds: WindowBounds, options: { epsilon: number }): { sql: string; params: Record<string, unknown> } {
  const inWindow = (alias = '') => `${alias}model = {model:String} AND ${alias}ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC') AND ${alias}ts < fromUnixTimestamp64Milli({end:Int64}, 'UTC')`;
  const params: Record<string, unknown> = { model: bounds.model, start: bounds.start, end: bounds.end, epsilon: options.epsilon };
  const ofVersion = (alias = '') => (bounds.modelVersion === undefined ? '' : ` AND ${alias}model_version = {model_version:String}`);
  if (bounds.modelVersion !== undefined) params.model_version = bounds.modelVersion;
  const sections = [`SELECT 'window' AS section, '' AS key, '' AS variant, toFloat64(count()) AS present, map() :: Map(String, Float64) AS stats FROM {db:Identifier}.features WHERE ${inWindow()}`];

  if (profile.numeric.length > 0) {
    Object.assign(params, numericBucketParams(profile.numeric));
    sections.push(`SELECT 'numeric', {nf_names:Array(String)}[fi], '', toFloat64(present), ${numericStats} FROM (${distributionSql(numericHistogramsSql(profile.numeric.length, inWindow()), 'nf')})`);
  }

  if (profile.categorical.length > 0) {
    params.cf_names = profile.categorical.map((f) => f.feature);
    Object.assign(params, categoricalParams(profile.categorical, 'cf'));
    const source = `SELECT indexOf({cf_names:Array(String)}, k) AS fi, val, count() AS c FROM {db:Identifier}.features ARRAY JOIN mapKeys(categorical) AS k, mapValues(categorical) AS val WHERE ${inWindow()} AND fi > 0 GROUP BY fi, val`;
    sections.push(`SELECT 'categorical', {cf_names:Array(String)}[fi], '', toFloat64(present), ${categoricalStats} FROM (${categoricalSql(source, 'cf')})`);
  }

  params.variants = [...VARIANTS];
  const variants = `indexOf({variants:Array(String)}, variant)`;
  if (profile.score) {
    // Every variant is compared with the one reference score distribution.
    Object.assign(params, distributionParams(VARIANTS.map(() => profile.score!), 'ps'));
    sections.push(`SELECT 'score', 'score', {variants:Array(String)}[fi], toFloat64(present), ${numericStats} FROM (${distributionSql(longHistogramsSql(scoreBucketsSql(`${variants}`, inWindow() + ofVersion()), 'ps', VARIANTS.length), 'ps')})`);
  }
  if (profile.classes) {
    Object.assign(params, categoricalParams(VARIANTS.map(() => profile.classes!), 'pc'));
    const source = `SELECT ${variants} AS fi, prediction AS val, count() AS c FROM {db:Identifier}.predictions WHERE ${inWindow()}${ofVersion()} AND fi > 0 GROUP BY fi, val`;
    sections.push(`SELECT 'class', 'class', {variants:Array(String)}[fi], toFloat64(present), ${categoricalStats} FROM (${categoricalSql(source, 'pc')})`);
  }
  if (profile.positiveLabel !== null) {
    params.positive = profile.positiveLabel;
    // Labels arrive after their predictions; a label counts once (the first one ingested).
    sections.push(`
SELECT 'performance', '', p.variant, toFloat64(count()),
  map('accuracy', avg(p.prediction = l.label),
      'error_rate', 1 - avg(p.prediction = l.label),
      'log_loss', avgIf(-if(l.label = {positive:String}, log(greatest(least(p.score, 1 - 1e-15), 1e-15)), log(greatest(least(1 - p.score, 1 - 1e-15), 1e-15))), p.score IS NOT NULL),
      'auc', if(countIf(p.score IS NOT NULL AND l.label = {positive:String}) > 0 AND countIf(p.score IS NOT NULL AND l.label != {positive:String}) > 0,
                arrayAUC(groupArrayIf(assumeNotNull(p.score), p.score IS NOT NULL), groupArrayIf(toUInt8(l.label = {positive:String}), p.score IS NOT NULL)), nan))
FROM {db:Identifier}.predictions AS p
INNER JOIN (${firstLabelsSince('start')}) AS l ON p.event_id = l.event_id
WHERE ${inWindow('p.')}${ofVersion('p.')}
GROUP BY p.variant`);
    const calibration = profile.performance?.calibration;
    if (calibration) {
      Object.assign(params, { cal_edges: calibration.edges, cal_rate: calibration.positiveRate });
      sections.push(estimateSection(inWindow() + ofVersion()));
    }
  }
  return { sql: sections.join('\nUNION ALL\n'), params };
}

/**
 * Histograms and moments of every numeric feature of the rows matching
 * `where`, in one pass: the map is read once per row and each feature's value
 * picked by name (an absent key or NaN is missing).
 */
export function numericHistogramsSql(features: number, where: string): string {
  const columns = Array.from({ length: features }, (_, i) => `ifNull(arrayElementOrNull(numeric, {nf_k${i + 1}:String}), nan)`);
  return wideHistogramsSql(columns, `{db:Identifier}.features WHERE ${where}`, 'nf');
}

export function numericBucketParams(features: readonly NumericProfile[]): Record<string, unknown> {
  const params = distributionParams(features, 'nf');
  features.forEach((f, i) => (params[`nf_k${i + 1}`] = f.feature));
  params.nf_names = features.map((f) => f.feature);
  return params;
}

/** (fi, v, b) for every scored prediction matching `where`; `fi` from the `index` expression. */
export function scoreBucketsSql(index: string, where: string): string {
  return `SELECT ${index} AS fi, assumeNotNull(score) AS v, ${bucketExpression('v', 1, 'ps')} AS b FROM {db:Identifier}.predictions WHERE ${where} AND fi > 0 AND score IS NOT NULL AND NOT isNaN(score)`;
}

const numericStats = `map('psi', psi, 'js', js, 'ks', ks, 'ks_bound', ks_bound, 'wasserstein', wasserstein, 'wasserstein_raw', wasserstein_raw, 'wasserstein_bound', wasserstein_bound,
  'mean', mean, 'std', std, 'mean_shift', mean_shift, 'std_ratio', std_ratio, 'out_of_range', out_of_range, 'ref_present', ref_present)`;
const categoricalStats = `map('psi', psi, 'js', js, 'chi2', chi2, 'dof', dof, 'unseen', unseen, 'ref_present', ref_present)`;
