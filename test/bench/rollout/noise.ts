import { seededRandom } from '../../../services/common/index.js';
import { judgeAnalysis, type AnalysisThresholds, type VariantMetrics } from '../../../services/rollout/analysis.js';

/**
 * How often the rollout's accuracy check fails a canary step, simulated with
 * the controller's own judgeAnalysis on binomial labels: for a candidate as
 * good as the champion (every failure is a false rollback) and for worse ones
 * (a failure is the check doing its job), at a few label counts per variant.
 * The baseline, in the same run, is the bare-shares rule (confidence 0.5: a
 * step fails as soon as the candidate's share is ROLLOUT_MAX_ACCURACY_DROP
 * below the champion's), the rule before sampling noise was allowed for.
 */

export interface NoiseRow {
  'labels per variant': number;
  'candidate − champion': string;
  'failed, bare shares (baseline)': string;
  'failed, confidence 0.8': string;
  'failed, confidence 0.95': string;
}

const THRESHOLDS: AnalysisThresholds = {
  minSamples: 1, minLabeledSamples: 1, errorRateRatio: 1.5, errorRateMargin: 0.01, latencyRatio: 1.5, latencyMarginMs: 5,
  maxAccuracyDrop: 0.02, accuracyConfidence: 0.95, maxPredictionPsi: 0.2, minAgreement: 0,
};

function binomial(random: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (random() < p) k++;
  return k;
}

function variant(labeled: number, correct: number): VariantMetrics {
  return { requests: labeled, errors: 0, latencySamples: 0, p99LatencyMs: 0, scored: 0, scoreBins: new Map(), classes: new Map(), labeled, correct };
}

export function runRolloutNoiseBench(options: { trials: number; championAccuracy: number; seed?: number }): NoiseRow[] {
  const random = seededRandom(options.seed ?? 7);
  const rows: NoiseRow[] = [];
  for (const n of [100, 250, 1000, 5000]) {
    for (const delta of [0, -0.02, -0.05, -0.1]) {
      let bare = 0;
      let middle = 0;
      let confident = 0;
      for (let t = 0; t < options.trials; t++) {
        const input = { candidate: variant(n, binomial(random, n, options.championAccuracy + delta)), champion: variant(n, binomial(random, n, options.championAccuracy)), agreement: null };
        const failed = (confidence: number): boolean => judgeAnalysis(input, { ...THRESHOLDS, accuracyConfidence: confidence }).failed.some((c) => c.name === 'accuracy');
        if (failed(0.5)) bare++;
        if (failed(0.8)) middle++;
        if (failed(0.95)) confident++;
      }
      const pct = (k: number): string => `${((100 * k) / options.trials).toFixed(1)}%`;
      rows.push({ 'labels per variant': n, 'candidate − champion': delta.toFixed(2), 'failed, bare shares (baseline)': pct(bare), 'failed, confidence 0.8': pct(middle), 'failed, confidence 0.95': pct(confident) });
    }
  }
  return rows;
}
