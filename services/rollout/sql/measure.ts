import type { ClickHouse } from '../../common/index.js';
import type { AnalysisInput, VariantMetrics } from '../analysis.js';

/**
 * The analysis SQL: one model's predictions of the champion variant (at the
 * champion version) and of the candidate's variant (shadow or canary, at the
 * candidate version) ingested into `predictions` in [from, to), joined with
 * `labels` by event_id. The range is processing time, as the step's is: a
 * step judges the traffic served under its weights, whatever event time the
 * gateway stamped on it (a trusted caller replaying history sets its own). A row with an empty `prediction` is a variant
 * that failed to answer: an error. Binning and counting run in ClickHouse;
 * Node gets a few numbers per variant.
 */
export interface MeasureRange {
  model: string;
  fromMs: number;
  toMs: number;
  /**
   * Where the champion's side starts: the step's start, except at a 100%
   * step, where the champion answers nothing and its traffic since the
   * rollout began is the baseline.
   */
  championFromMs: number;
  championVersion: string;
  candidateVersion: string;
  candidateVariant: 'shadow' | 'canary';
  /** Shadow phase: compare both answers to the same events. */
  withAgreement: boolean;
  /** Class distributions are read only when fewer scores than this were seen. */
  minScores: number;
}

const ROWS = `
  SELECT if(variant = 'champion', 'champion', 'candidate') AS role, event_id, prediction, score, latency_ms
  FROM {db:Identifier}.predictions
  WHERE model = {model:String}
    AND ingested_at >= fromUnixTimestamp64Milli(least({fromMs:Int64}, {championFromMs:Int64}), 'UTC') AND ingested_at < fromUnixTimestamp64Milli({toMs:Int64}, 'UTC')
    AND ((variant = 'champion' AND model_version = {champion:String} AND ingested_at >= fromUnixTimestamp64Milli({championFromMs:Int64}, 'UTC'))
      OR (variant = {variant:String} AND model_version = {candidate:String} AND ingested_at >= fromUnixTimestamp64Milli({fromMs:Int64}, 'UTC')))`;

/**
 * Labels may arrive after the range closes: every label of an event in it
 * counts (the newest when relabeled). A label comes after its answer; the
 * minute of slack covers the two topics' ingest racing each other.
 */
const LABELS = `
  SELECT event_id, argMax(label, ts) AS label FROM {db:Identifier}.labels
  WHERE model = {model:String} AND ingested_at >= fromUnixTimestamp64Milli(least({fromMs:Int64}, {championFromMs:Int64}) - 60000, 'UTC')
    AND event_id IN (SELECT event_id FROM p)
  GROUP BY event_id`;

const VARIANTS = `
WITH p AS (${ROWS}),
  edges AS (SELECT quantilesExact(0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)(assumeNotNull(score)) AS e FROM p WHERE role = 'champion' AND prediction != '' AND score IS NOT NULL)
SELECT role,
  count() AS requests,
  countIf(prediction = '') AS errors,
  countIf(latency_ms IS NOT NULL) AS latency_samples,
  quantileExactIf(0.99)(assumeNotNull(latency_ms), latency_ms IS NOT NULL) AS p99,
  countIf(prediction != '' AND score IS NOT NULL) AS scored,
  sumMapIf([toUInt8(arrayCount(x -> x < assumeNotNull(score), (SELECT e FROM edges)))], [toUInt64(1)], prediction != '' AND score IS NOT NULL) AS score_bins
FROM p GROUP BY role`;

const ACCURACY = `
WITH p AS (${ROWS})
SELECT p.role AS role, count() AS labeled, countIf(p.prediction = l.label) AS correct
FROM p INNER JOIN (${LABELS}) AS l ON p.event_id = l.event_id
WHERE p.prediction != ''
GROUP BY role`;

/** Most frequent classes only: a regression model's "classes" are its values. */
const CLASSES = `
WITH p AS (${ROWS})
SELECT role, prediction, count() AS n FROM p WHERE prediction != '' GROUP BY role, prediction ORDER BY n DESC LIMIT 200`;

const AGREEMENT = `
WITH p AS (${ROWS} AND prediction != '')
SELECT count() AS pairs, countIf(c.prediction = s.prediction) AS agree
FROM (SELECT event_id, any(prediction) AS prediction FROM p WHERE role = 'champion' GROUP BY event_id) AS c
INNER JOIN (SELECT event_id, any(prediction) AS prediction FROM p WHERE role = 'candidate' GROUP BY event_id) AS s ON c.event_id = s.event_id`;

type Num = number | string;
interface VariantRow { role: string; requests: Num; errors: Num; latency_samples: Num; p99: number | null; scored: Num; score_bins: [Num[], Num[]] | Record<string, Num> }

const empty = (): VariantMetrics => ({ requests: 0, errors: 0, latencySamples: 0, p99LatencyMs: 0, scored: 0, scoreBins: new Map(), classes: new Map(), labeled: 0, correct: 0 });

/** A sumMap result, which JSON output writes as [keys, values] (or an object, depending on settings). */
function mapOf(value: VariantRow['score_bins']): Map<number, number> {
  const entries: [Num, Num][] = Array.isArray(value) ? value[0].map((k, i) => [k, value[1][i] ?? 0]) : Object.entries(value);
  return new Map(entries.map(([k, v]) => [Number(k), Number(v)]));
}

export async function measureVariants(ch: ClickHouse, range: MeasureRange): Promise<AnalysisInput> {
  const params = {
    model: range.model, fromMs: range.fromMs, toMs: range.toMs, championFromMs: range.championFromMs, champion: range.championVersion, candidate: range.candidateVersion, variant: range.candidateVariant,
  };
  const metrics = { candidate: empty(), champion: empty() };
  const side = (role: string): VariantMetrics => (role === 'champion' ? metrics.champion : metrics.candidate);
  for (const r of await ch.query<VariantRow>(VARIANTS, params)) {
    Object.assign(side(r.role), {
      requests: Number(r.requests), errors: Number(r.errors), latencySamples: Number(r.latency_samples), p99LatencyMs: Number(r.p99 ?? 0),
      scored: Number(r.scored), scoreBins: mapOf(r.score_bins),
    });
  }
  for (const r of await ch.query<{ role: string; labeled: Num; correct: Num }>(ACCURACY, params)) {
    Object.assign(side(r.role), { labeled: Number(r.labeled), correct: Number(r.correct) });
  }
  if (metrics.candidate.scored < range.minScores || metrics.champion.scored < range.minScores) {
    const classes = { candidate: new Map<string, number>(), champion: new Map<string, number>() };
    for (const r of await ch.query<{ role: string; prediction: string; n: Num }>(CLASSES, params)) {
      classes[r.role === 'champion' ? 'champion' : 'candidate'].set(r.prediction, Number(r.n));
    }
    metrics.candidate.classes = classes.candidate;
    metrics.champion.classes = classes.champion;
  }
  let agreement: AnalysisInput['agreement'] = null;
  if (range.withAgreement) {
    const [row] = await ch.query<{ pairs: Num; agree: Num }>(AGREEMENT, params);
    agreement = { pairs: Number(row?.pairs ?? 0), agree: Number(row?.agree ?? 0) };
  }
  return { ...metrics, agreement };
}
