import type { ClickHouse } from '../../../services/common/index.js';

/**
 * How a numeric feature is drawn, z standard normal and u uniform on [0, 1):
 * `normal` mu + sigma·z; `lognormal` exp(mu + sigma·z) (skewed); `integer`
 * floor(mu + sigma·u) (few distinct values, so ties on the grid).
 */
export type Distribution = 'normal' | 'lognormal' | 'integer';

export interface NumericFeatureSpec {
  name: string;
  distribution: Distribution;
  mu: number;
  sigma: number;
  /** What changes in the window: added to mu, and sigma multiplied by. */
  drift?: { mu?: number; sigmaFactor?: number };
}

const DISTRIBUTION_CODE: Record<Distribution, number> = { normal: 0, lognormal: 1, integer: 2 };

const name = (i: number): string => `f${String(i).padStart(2, '0')}`;

/** What drifts in the window: a mean shift of 0.25 sigma, a wider spread, a heavier tail, values beyond the reference. */
const DRIFTS: Readonly<Record<string, NumericFeatureSpec['drift']>> = { f03: { mu: 0.25 * 3.5 }, f07: { sigmaFactor: 1.5 }, f13: { sigmaFactor: 1.3 }, f18: { mu: 4 } };

/** The bench's 20 numeric features: 12 normal with their own scales, 4 lognormal, 4 integer-valued; four of them drift. */
export const NUMERIC_FEATURES: readonly NumericFeatureSpec[] = [
  ...Array.from({ length: 12 }, (_, i): NumericFeatureSpec => ({ name: name(i), distribution: 'normal', mu: (i - 6) * 10, sigma: 0.5 + i })),
  ...Array.from({ length: 4 }, (_, i): NumericFeatureSpec => ({ name: name(12 + i), distribution: 'lognormal', mu: i * 0.5, sigma: 0.4 + i * 0.2 })),
  ...Array.from({ length: 4 }, (_, i): NumericFeatureSpec => ({ name: name(16 + i), distribution: 'integer', mu: 0, sigma: 6 + i * 20 })),
].map((f) => (DRIFTS[f.name] ? { ...f, drift: DRIFTS[f.name] } : f));

/** The 3 categorical features; in the window 5% of regions are one the reference never saw and `web` gains share. */
export const CATEGORICAL_FEATURES = { region: ['nsw', 'vic', 'qld', 'sa', 'tas'], device: ['ios', 'android', 'web'], tier: ['free', 'pro', 'enterprise'] } as const;

/**
 * Generates `rows` feature rows of `model` inside ClickHouse, one per ms from
 * `fromMs`, numbered from `firstOffset`. ClickHouse's random functions take no
 * seed, so every run draws new values from the same distributions.
 *
 * The per-value index `j` (row · 20 + feature) is passed to the random
 * functions only so they are not constant-folded: over a constant array the
 * lambda would be evaluated once for the whole query.
 */
export async function generateFeatureRows(
  clickhouse: ClickHouse,
  options: { model: string; fromMs: number; rows: number; firstOffset: number; drifted: boolean },
): Promise<void> {
  const { drifted } = options;
  const width = NUMERIC_FEATURES.length;
  await clickhouse.command(
    `INSERT INTO {db:Identifier}.features (model, ts, event_id, entity_id, numeric, categorical, _topic, _partition, _offset)
     SELECT {model:String},
       fromUnixTimestamp64Milli(toInt64({from:Int64} + number), 'UTC'),
       concat('bench-', toString({first:UInt64} + number)),
       concat('user-', toString(number % 10000)),
       mapFromArrays({names:Array(String)}, arrayMap((k, m, s, j) -> multiIf(
           k = 0, m + s * randNormal(0, 1, j),
           k = 1, exp(m + s * randNormal(0, 1, j)),
           floor(m + s * randCanonical(j))),
         {kinds:Array(UInt8)}, {mu:Array(Float64)}, {sigma:Array(Float64)}, range(number * {width:UInt64}, (number + 1) * {width:UInt64}))),
       map('region', if(randCanonical(1) < {unseen:Float64}, 'wa', {regions:Array(String)}[1 + rand(2) % 5]),
           'device', {devices:Array(String)}[if(randCanonical(3) < {extraWeb:Float64}, 3, 1 + rand(4) % 3)],
           'tier', {tiers:Array(String)}[1 + rand(5) % 3]),
       'bench', 0, {first:UInt64} + number
     FROM numbers({rows:UInt64})`,
    {
      model: options.model,
      from: options.fromMs,
      first: options.firstOffset,
      rows: options.rows,
      width,
      names: NUMERIC_FEATURES.map((f) => f.name),
      kinds: NUMERIC_FEATURES.map((f) => DISTRIBUTION_CODE[f.distribution]),
      mu: NUMERIC_FEATURES.map((f) => f.mu + (drifted ? (f.drift?.mu ?? 0) : 0)),
      sigma: NUMERIC_FEATURES.map((f) => f.sigma * (drifted ? (f.drift?.sigmaFactor ?? 1) : 1)),
      unseen: drifted ? 0.05 : 0,
      extraWeb: drifted ? 0.1 : 0,
      regions: CATEGORICAL_FEATURES.region,
      devices: CATEGORICAL_FEATURES.device,
      tiers: CATEGORICAL_FEATURES.tier,
    },
  );
}
