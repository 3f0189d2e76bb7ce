import type { DriftDecision } from '../../schemas/index.js';
import { ConfigError } from '../common/index.js';
import type { ReferenceProfile } from './profile.js';
import { statisticKey, type Statistic } from './statistics.js';

/**
 * When a window drifts and when drift becomes a retrain, per model. Defaults
 * follow Evidently's: KS p < 0.05 (numeric) and chi-square p < 0.05
 * (categorical) for windows of at most `smallWindowRows`, normalized
 * Wasserstein >= 0.1 and Jensen-Shannon >= 0.1 above; PSI >= 0.2 when chosen.
 */
export interface DriftPolicy {
  /** `fixed` thresholds below, or `adaptive`: mean + 3 sigma of the statistic over reference chunks (fixed where unmeasured). */
  mode: 'fixed' | 'adaptive';
  /** Which test decides a numeric feature (and the prediction score); `auto` picks by window size. */
  numericTest: 'auto' | 'ks' | 'wasserstein' | 'psi' | 'js';
  /** Which test decides a categorical feature (and the predicted class). */
  categoricalTest: 'auto' | 'chi2' | 'js' | 'psi';
  /** `auto` uses the p-value tests up to this many values. */
  smallWindowRows: number;
  thresholds: { psi: number; js: number; ksPValue: number; wasserstein: number; chi2PValue: number };
  /** Dataset drift when at least this share of features drifted. */
  driftShare: number;
  /**
   * Weigh each feature in that share by how much the champion leans on it
   * (its permutation importance at training; features with none count 0),
   * where the reference knows it: drift in a feature the model ignores is
   * `watch`, never `retrain`. Without importances the share is unweighted.
   */
  importanceWeighted: boolean;
  /** Whether drift of the champion's predictions alone counts as drift. */
  predictionDrift: boolean;
  /** Drifting windows in a row before a retrain is requested. */
  consecutiveWindows: number;
  /**
   * Whether drift (features, or the champion's predictions) opens a retrain:
   * `always`; or `unmeasured`, only in windows where the champion's accuracy
   * is not judged (no accuracy check, no reference performance yet, or too
   * few labels), since where it is, the accuracy says whether the model got
   * worse, and drift is reported and alerted as `watch`. Inputs that drift
   * all the time (prices) otherwise retrain all the time: on Elec2 such a
   * policy asked for 65 retrains and ended below never retraining.
   */
  retrainOnDrift: 'always' | 'unmeasured';
  /** Windows with fewer rows decide nothing. */
  minWindowRows: number;
  /** Retrain when the champion's accuracy falls this far below the reference's (0 disables). */
  maxAccuracyDrop: number;
  /**
   * What the drop is measured from: `served`, the accuracy the champion
   * served after its promotion (the reference's performance); `higher`, the
   * higher of that and its accuracy on its training run's test split, where
   * the reference knows it. A champion promoted just as the concept changed
   * serves badly from the start: measured from that, it is never "worse" and
   * stays champion however wrong it is (a backtest on SEA held one for the
   * remaining 5 of 6 months).
   */
  accuracyReference: 'served' | 'higher';
  /** Labeled predictions a window needs before its accuracy counts. */
  minLabeledRows: number;
  /**
   * While a window has fewer labels than `minLabeledRows`, judge the
   * champion's accuracy as its calibrated scores estimate it (CBPE, cbpe.ts)
   * against `maxAccuracyDrop`: labels that come late stop delaying the retrain.
   */
  estimatedPerformance: boolean;
  /** No new drift-, performance- or schedule-caused run this soon after the last request... */
  cooldownMs: number;
  /**
   * ...nor within this many windows of it (time windows: `cooldownWindows`
   * × `windowMs`; the longer of the two holds). A window cut short by a
   * promotion would otherwise ask again for the retrain just deployed.
   */
  cooldownWindows: number;
  /** A retrain on this period regardless of drift (0 disables). */
  scheduleIntervalMs: number;
  /** Tumbling windows of this length... */
  windowMs: number;
  /** ...or of this many events when > 0 (then windowMs is ignored). */
  windowRows: number;
  /** Labels may arrive this long (event time) after their predictions: windows with performance close that much later. */
  labelDelayMs: number;
  /**
   * A change detector on the champion's labeled error stream (1 wrong, 0
   * right, in event time), as River implements it: a detected change in the
   * error rate is a retrain (cause `performance`). `none` disables it.
   */
  errorDetector: 'none' | 'adwin' | 'ddm' | 'page-hinkley';
  /** How much event time of labeled data a retrain trains on, back from the request... */
  trainingWindowMs: number;
  /**
   * ...or, while `trainingWindowMs` is 0, this many windows of it (time
   * windows: `trainingWindows` × `windowMs`). 0 with `trainingWindowMs` 0,
   * or count windows: the trainer spec's window.
   */
  trainingWindows: number;
  /**
   * Whether drift, performance, schedules and alerts may open runs by
   * themselves. false: the monitor still judges and reports every window (a
   * `retrain` becomes `watch`, saying so), and only a person opens a run.
   */
  autoRetrain: boolean;
}

export const DEFAULT_POLICY: DriftPolicy = Object.freeze({
  mode: 'fixed',
  numericTest: 'auto',
  categoricalTest: 'auto',
  smallWindowRows: 1000,
  thresholds: Object.freeze({ psi: 0.2, js: 0.1, ksPValue: 0.05, wasserstein: 0.1, chi2PValue: 0.05 }),
  driftShare: 0.5,
  importanceWeighted: false,
  predictionDrift: true,
  consecutiveWindows: 2,
  retrainOnDrift: 'unmeasured',
  minWindowRows: 100,
  maxAccuracyDrop: 0.05,
  accuracyReference: 'higher',
  minLabeledRows: 100,
  estimatedPerformance: false,
  cooldownMs: 3_600_000,
  cooldownWindows: 1,
  scheduleIntervalMs: 0,
  windowMs: 3_600_000,
  windowRows: 0,
  labelDelayMs: 0,
  errorDetector: 'none',
  trainingWindowMs: 0,
  trainingWindows: 6,
  autoRetrain: true,
}) as DriftPolicy;

const ENUMS: Partial<Record<keyof DriftPolicy, readonly string[]>> = {
  mode: ['fixed', 'adaptive'],
  numericTest: ['auto', 'ks', 'wasserstein', 'psi', 'js'],
  categoricalTest: ['auto', 'chi2', 'js', 'psi'],
  errorDetector: ['none', 'adwin', 'ddm', 'page-hinkley'],
  accuracyReference: ['served', 'higher'],
  retrainOnDrift: ['always', 'unmeasured'],
};

/**
 * Reads per-model overrides (`DRIFT_POLICIES`, JSON `{ "<model>": { ...partial policy } }`)
 * over `base`. Unknown keys and bad values fail naming the path and what is allowed.
 */
export function parsePolicies(json: string, base: DriftPolicy, envKey = 'DRIFT_POLICIES'): Map<string, DriftPolicy> {
  const out = new Map<string, DriftPolicy>();
  if (!json.trim()) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    throw new ConfigError(envKey, `is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new ConfigError(envKey, 'must be a JSON object of model name -> policy');
  for (const [model, raw] of Object.entries(parsed)) out.set(model, mergePolicy(base, raw, `${envKey}.${model}`));
  return out;
}

export function mergePolicy(base: DriftPolicy, raw: unknown, path: string): DriftPolicy {
  if (!isObject(raw)) throw new ConfigError(path, 'must be an object');
  const policy: DriftPolicy = { ...base, thresholds: { ...base.thresholds } };
  for (const [key, value] of Object.entries(raw)) {
    const at = `${path}.${key}`;
    if (!(key in base)) throw new ConfigError(at, `unknown policy key (allowed: ${Object.keys(base).join(', ')})`);
    const k = key as keyof DriftPolicy;
    if (k === 'thresholds') {
      if (!isObject(value)) throw new ConfigError(at, 'must be an object');
      for (const [t, v] of Object.entries(value)) {
        if (!(t in base.thresholds)) throw new ConfigError(`${at}.${t}`, `unknown threshold (allowed: ${Object.keys(base.thresholds).join(', ')})`);
        if (typeof v !== 'number' || !(v >= 0)) throw new ConfigError(`${at}.${t}`, 'must be a number >= 0');
        policy.thresholds[t as keyof DriftPolicy['thresholds']] = v;
      }
    } else if (ENUMS[k]) {
      if (typeof value !== 'string' || !ENUMS[k]!.includes(value)) throw new ConfigError(at, `${JSON.stringify(value)} is not allowed (allowed: ${ENUMS[k]!.join(', ')})`);
      (policy as unknown as Record<string, unknown>)[k] = value;
    } else if (typeof base[k] === 'boolean') {
      if (typeof value !== 'boolean') throw new ConfigError(at, 'must be true or false');
      (policy as unknown as Record<string, unknown>)[k] = value;
    } else {
      if (typeof value !== 'number' || !(value >= 0)) throw new ConfigError(at, 'must be a number >= 0');
      if (k === 'driftShare' && value > 1) throw new ConfigError(at, 'must be from 0 to 1');
      (policy as unknown as Record<string, unknown>)[k] = value;
    }
  }
  if (policy.consecutiveWindows < 1) throw new ConfigError(`${path}.consecutiveWindows`, 'must be at least 1');
  if (policy.windowRows === 0 && policy.windowMs <= 0) throw new ConfigError(`${path}.windowMs`, 'must be > 0 when windowRows is 0');
  return policy;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A statistic judged against its threshold. */
export interface JudgedStatistic extends Statistic {
  threshold: number;
  drifted: boolean;
  /** This test decides its feature's drifted flag. */
  decisive: boolean;
}

/** Which test decides a feature of `kind` with `present` values. */
export function decisiveTest(policy: DriftPolicy, kind: 'numeric' | 'categorical', present: number): string {
  const small = present <= policy.smallWindowRows;
  if (kind === 'numeric') return policy.numericTest === 'auto' ? (small ? 'ks' : 'wasserstein') : policy.numericTest;
  return policy.categoricalTest === 'auto' ? (small ? 'chi2' : 'js') : policy.categoricalTest;
}

/**
 * Judges every statistic: p-value tests drift below their threshold, distances
 * at or above it. Descriptive statistics (means, rates, performance) carry no
 * threshold here; performance is judged by {@link decideWindow}.
 */
export function judge(stats: readonly Statistic[], policy: DriftPolicy, profile: ReferenceProfile): JudgedStatistic[] {
  const t = policy.thresholds;
  return stats.map((s) => {
    const fixed: Record<string, number | undefined> = { psi: t.psi, js: t.js, wasserstein: t.wasserstein, ks: t.ksPValue, chi2: t.chi2PValue };
    let threshold = fixed[s.test];
    if (threshold === undefined || s.kind === 'performance') return { ...s, threshold: Number.NaN, drifted: false, decisive: false };
    const byPValue = s.test === 'ks' || s.test === 'chi2';
    const adaptive = policy.mode === 'adaptive' ? profile.adaptive[statisticKey(s)] : undefined;
    // Adaptive thresholds bound the statistic itself, also for the p-value tests.
    const drifted = adaptive !== undefined ? s.value >= adaptive : byPValue ? (s.pValue ?? 1) < threshold : s.value >= threshold;
    if (adaptive !== undefined) threshold = adaptive;
    const family = s.kind === 'categorical' || (s.kind === 'prediction' && s.feature === 'class') ? 'categorical' : 'numeric';
    return { ...s, threshold, drifted: drifted && Number.isFinite(s.value), decisive: s.test === decisiveTest(policy, family, s.present) };
  });
}

export interface WindowVerdict {
  decision: DriftDecision;
  datasetDrift: boolean;
  driftShare: number;
  drifting: boolean;
  /** Drifting windows in a row, this one included. */
  streak: number;
  cause: 'drift' | 'performance' | null;
  reasons: string[];
}

/**
 * The accuracy a drop is measured from (accuracyReference), once the
 * champion has served enough for its reference performance: none before,
 * since until then nothing says how it does on this traffic.
 */
export function accuracyReference(profile: Pick<ReferenceProfile, 'performance' | 'testAccuracy'>, policy: Pick<DriftPolicy, 'accuracyReference'>): { value: number; what: string } | null {
  const served = profile.performance?.accuracy;
  if (served === undefined) return null;
  const test = profile.testAccuracy;
  if (policy.accuracyReference === 'higher' && typeof test === 'number' && test > served) return { value: test, what: 'its test accuracy at training' };
  return { value: served, what: 'the reference' };
}

/** The policy's verdict on one window, given how many windows before it drifted in a row. */
export function decideWindow(judged: readonly JudgedStatistic[], policy: DriftPolicy, profile: ReferenceProfile, windowRows: number, previousStreak: number): WindowVerdict {
  const features = judged.filter((s) => s.decisive && (s.kind === 'numeric' || s.kind === 'categorical'));
  const drifted = features.filter((s) => s.drifted);
  const weights = policy.importanceWeighted ? importanceWeights(features.map((s) => s.feature), profile.importance) : null;
  const weightOf = (s: JudgedStatistic): number => (weights ? weights.get(s.feature)! : 1);
  const total = features.reduce((sum, s) => sum + weightOf(s), 0);
  const driftShare = total > 0 ? drifted.reduce((sum, s) => sum + weightOf(s), 0) / total : 0;
  const reasons: string[] = [];
  if (windowRows < policy.minWindowRows) {
    return { decision: 'none', datasetDrift: false, driftShare, drifting: false, streak: 0, cause: null, reasons: [`window has ${windowRows} rows, fewer than minWindowRows ${policy.minWindowRows}`] };
  }
  const datasetDrift = drifted.length > 0 && driftShare >= policy.driftShare;
  if (drifted.length > 0) reasons.push(`${drifted.length} of ${features.length} features drifted (${drifted.map((s) => `${s.feature} by ${s.test}`).join(', ')})`);
  if (datasetDrift) reasons.push(`dataset drift: ${weights ? 'importance-weighted ' : ''}share ${driftShare.toFixed(3)} >= ${policy.driftShare}`);
  else if (weights && drifted.length > 0) reasons.push(`importance-weighted share ${driftShare.toFixed(3)} < ${policy.driftShare}: the champion leans little on what drifted`);
  const predictions = judged.filter((s) => s.decisive && s.kind === 'prediction' && s.variant === 'champion' && s.drifted);
  if (predictions.length > 0) reasons.push(`champion prediction drift (${predictions.map((s) => `${s.feature} by ${s.test}`).join(', ')})`);
  const drifting = datasetDrift || (policy.predictionDrift && predictions.length > 0);
  const streak = drifting ? previousStreak + 1 : 0;

  const champion = (test: string): JudgedStatistic | undefined => judged.find((s) => s.kind === 'performance' && s.variant === 'champion' && s.test === test);
  const labeled = champion('accuracy');
  const estimated = champion('expected_accuracy');
  // Labeled accuracy decides once a window has enough labels; until then, with the policy's leave, the scores' estimate.
  const accuracy = labeled && labeled.present >= policy.minLabeledRows ? { ...labeled, what: 'champion accuracy' }
    : policy.estimatedPerformance && estimated && estimated.present >= policy.minWindowRows && Number.isFinite(estimated.value) ? { ...estimated, what: `champion accuracy estimated from its scores (CBPE, ${labeled?.present ?? 0} labels yet)` }
    : null;
  const reference = accuracyReference(profile, policy);
  if (policy.maxAccuracyDrop > 0 && accuracy && reference && reference.value - accuracy.value > policy.maxAccuracyDrop) {
    reasons.push(`${accuracy.what} ${accuracy.value.toFixed(4)} is ${(reference.value - accuracy.value).toFixed(4)} below ${reference.what} ${reference.value.toFixed(4)} (max drop ${policy.maxAccuracyDrop})`);
    return { decision: 'retrain', datasetDrift, driftShare, drifting, streak, cause: 'performance', reasons };
  }
  if (drifting && streak >= policy.consecutiveWindows) {
    reasons.push(`${streak} drifting windows in a row >= ${policy.consecutiveWindows}`);
    if (policy.retrainOnDrift === 'always' || !(policy.maxAccuracyDrop > 0 && reference && accuracy)) {
      return { decision: 'retrain', datasetDrift, driftShare, drifting, streak, cause: 'drift', reasons };
    }
    reasons.push(`${accuracy.what} held within ${policy.maxAccuracyDrop} of ${reference.what}: drift alone is watched (retrainOnDrift: unmeasured)`);
    return { decision: 'watch', datasetDrift, driftShare, drifting, streak, cause: null, reasons };
  }
  if (drifting) reasons.push(`${streak} drifting window(s) in a row, retrain at ${policy.consecutiveWindows}`);
  // Weighted, drift in features the model barely uses is worth watching, not retraining for.
  return { decision: drifting || (weights !== null && drifted.length > 0) ? 'watch' : 'none', datasetDrift, driftShare, drifting, streak, cause: null, reasons };
}

/**
 * Pure: each feature's weight in an importance-weighted drift share, from
 * the reference's permutation importances (negative ones, noise, count 0);
 * null without importances or when they sum to 0, so the share stays unweighted.
 */
export function importanceWeights(features: readonly string[], importance: Record<string, number> | null | undefined): Map<string, number> | null {
  if (!importance) return null;
  const weights = new Map(features.map((f) => [f, Math.max(0, importance[f] ?? 0)]));
  return [...weights.values()].some((w) => w > 0) ? weights : null;
}

/**
 * Pure: the event time a retrain trains on, back from its decision:
 * `trainingWindowMs`, or `trainingWindows` of the policy's time windows;
 * 0 when the policy leaves it to the trainer spec.
 */
export function trainingSpanMs(policy: Pick<DriftPolicy, 'trainingWindowMs' | 'trainingWindows' | 'windowMs' | 'windowRows'>): number {
  if (policy.trainingWindowMs > 0) return policy.trainingWindowMs;
  return policy.windowRows === 0 ? policy.trainingWindows * policy.windowMs : 0;
}

/**
 * Pure: the event-time range a retrain decided at `at` trains on (the
 * snapshot holds what is labeled by then); null when the policy leaves it to
 * the trainer spec.
 */
export function retrainWindow(policy: Pick<DriftPolicy, 'trainingWindowMs' | 'trainingWindows' | 'windowMs' | 'windowRows'>, at: number): { from: number; to: number } | null {
  const span = trainingSpanMs(policy);
  return span > 0 ? { from: at - span, to: at } : null;
}

/** Pure: how long after a request no automatic one follows: the longer of `cooldownMs` and `cooldownWindows` time windows. */
export function cooldownOf(policy: Pick<DriftPolicy, 'cooldownMs' | 'cooldownWindows' | 'windowMs' | 'windowRows'>): number {
  return Math.max(policy.cooldownMs, policy.windowRows === 0 ? policy.cooldownWindows * policy.windowMs : 0);
}
