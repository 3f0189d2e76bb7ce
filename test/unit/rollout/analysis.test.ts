import { describe, expect, it } from 'vitest';
import { describeFailures, judgeAnalysis, normalQuantile, populationStabilityIndex, type AnalysisThresholds, type VariantMetrics } from '../../../services/rollout/analysis.js';

const thresholds: AnalysisThresholds = {
  minSamples: 100, minLabeledSamples: 50, errorRateRatio: 1.5, errorRateMargin: 0.01, latencyRatio: 1.5, latencyMarginMs: 5, maxAccuracyDrop: 0.02,
  // The bare shares, so the thresholds below read as champion − drop; the noise allowance has its own tests.
  accuracyConfidence: 0.5, maxPredictionPsi: 0.2, minAgreement: 0.8,
};

const bins = (counts: number[]): Map<number, number> => new Map(counts.map((n, i) => [i, n]));
function variant(overrides: Partial<VariantMetrics> = {}): VariantMetrics {
  return {
    requests: 1000, errors: 20, latencySamples: 1000, p99LatencyMs: 40, scored: 980, scoreBins: bins([98, 98, 98, 98, 98, 98, 98, 98, 98, 98]),
    classes: new Map(), labeled: 500, correct: 400, ...overrides,
  };
}
const byName = <C extends { name: string }>(checks: C[], name: string): C => checks.find((c) => c.name === name)!;

describe('rollout analysis', () => {
  it('passes a candidate that matches the champion', () => {
    const v = judgeAnalysis({ candidate: variant(), champion: variant(), agreement: { pairs: 900, agree: 850 } }, thresholds);
    expect(v.enoughSamples).toBe(true);
    expect(v.failed).toEqual([]);
    expect(v.checks.map((c) => c.name)).toEqual(['error_rate', 'p99_latency_ms', 'accuracy', 'prediction_psi', 'agreement']);
    expect(byName(v.checks, 'prediction_psi')).toMatchObject({ value: 0, judged: false, passed: true });
  });

  it('judges prediction drift and agreement until labeled accuracy passes, then only reports them', () => {
    const shifted = { scoreBins: bins([300, 300, 200, 100, 50, 30, 0, 0, 0, 0]) };
    const disagreeing = { pairs: 1000, agree: 600 };
    // As accurate as the champion, answering differently (a retrain after concept drift): accuracy decides.
    const labeled = judgeAnalysis({ candidate: variant(shifted), champion: variant(), agreement: disagreeing }, thresholds);
    expect(labeled.failed).toEqual([]);
    expect(byName(labeled.checks, 'prediction_psi')).toMatchObject({ passed: true, judged: false });
    expect(byName(labeled.checks, 'prediction_psi').value).toBeGreaterThan(0.2);
    expect(byName(labeled.checks, 'prediction_psi').detail).toMatch(/reported, not deciding: the labeled accuracy check passed$/);
    expect(byName(labeled.checks, 'agreement')).toMatchObject({ passed: true, judged: false, value: 0.6 });
    // Without enough labels the distributions decide.
    const unlabeled = judgeAnalysis({ candidate: variant({ ...shifted, labeled: 10, correct: 8 }), champion: variant(), agreement: disagreeing }, thresholds);
    expect(unlabeled.failed.map((c) => c.name)).toEqual(['prediction_psi', 'agreement']);
  });

  it('fails an error rate three times the champion and names the threshold', () => {
    const v = judgeAnalysis({ candidate: variant({ errors: 60 }), champion: variant(), agreement: null }, thresholds);
    expect(v.failed.map((c) => c.name)).toEqual(['error_rate']);
    // max(0.02 × 1.5, 0.02 + 0.01) = 0.03
    expect(v.failed[0]).toMatchObject({ value: 0.06, threshold: 0.03, passed: false });
    expect(describeFailures(v.failed)).toMatch(/^error_rate 0.06 > 0.03 \(candidate 60\/1000, champion 20\/1000/);
  });

  it('allows an absolute error-rate margin over a near-perfect champion', () => {
    const v = judgeAnalysis({ candidate: variant({ errors: 9 }), champion: variant({ errors: 0 }), agreement: null }, thresholds);
    expect(byName(v.checks, 'error_rate')).toMatchObject({ passed: true, threshold: 0.01 });
  });

  it('fails p99 latency beyond champion × 1.5 + 5 ms, accuracy below champion − 0.02, and a shifted score distribution', () => {
    const v = judgeAnalysis({
      candidate: variant({ p99LatencyMs: 66, correct: 380, scoreBins: bins([300, 300, 200, 100, 50, 30, 0, 0, 0, 0]) }),
      champion: variant(),
      agreement: null,
    }, thresholds);
    expect(v.failed.map((c) => c.name)).toEqual(['p99_latency_ms', 'accuracy', 'prediction_psi']);
    expect(byName(v.checks, 'p99_latency_ms')).toMatchObject({ value: 66, threshold: 65 });
    expect(byName(v.checks, 'accuracy')).toMatchObject({ value: 0.76, threshold: 0.78 });
  });

  it('judges nothing with too few requests on either side, and reports why', () => {
    const v = judgeAnalysis({ candidate: variant({ requests: 40, errors: 40 }), champion: variant(), agreement: null }, thresholds);
    expect(v.enoughSamples).toBe(false);
    expect(v.failed).toEqual([]);
    expect(v.checks.every((c) => !c.judged && c.passed)).toBe(true);
    expect(byName(v.checks, 'error_rate').detail).toBe('not judged: candidate 40, champion 1000 requests (min 100)');
  });

  it('fails accuracy only when the candidate is worse than champion − drop beyond sampling noise', () => {
    const at95 = { ...thresholds, accuracyConfidence: 0.95 };
    // 0.76 vs 0.80 on 500 labels each: a difference sampling alone gives often (standard error 0.026).
    const noisy = judgeAnalysis({ candidate: variant({ correct: 380 }), champion: variant(), agreement: null }, at95);
    const se = Math.sqrt((0.76 * 0.24) / 500 + (0.8 * 0.2) / 500);
    expect(byName(noisy.checks, 'accuracy')).toMatchObject({ passed: true, value: 0.76 });
    expect(byName(noisy.checks, 'accuracy').threshold).toBeCloseTo(0.8 - 0.02 - 1.6449 * se, 5);
    // The same gap on 20,000 labels each is real.
    const many = judgeAnalysis({ candidate: variant({ labeled: 20_000, correct: 15_200 }), champion: variant({ labeled: 20_000, correct: 16_000 }), agreement: null }, at95);
    expect(byName(many.checks, 'accuracy')).toMatchObject({ passed: false, value: 0.76 });
    // And a candidate that is clearly wrong fails on a few hundred labels.
    const wrong = judgeAnalysis({ candidate: variant({ labeled: 250, correct: 60 }), champion: variant({ labeled: 250, correct: 200 }), agreement: null }, at95);
    expect(describeFailures(wrong.failed)).toMatch(/^accuracy 0.24 < 0.7\d+ \(candidate 60\/250, champion 200\/250 labeled; champion − 0.02 − 0.0\d+ \(sampling noise at 0.95\)\)$/);
  });

  it('computes the normal quantile', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalQuantile(0.95)).toBeCloseTo(1.644854, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 6);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });

  it('leaves accuracy unjudged until enough labels arrived, without blocking the step', () => {
    const v = judgeAnalysis({ candidate: variant({ labeled: 10, correct: 0 }), champion: variant(), agreement: null }, thresholds);
    expect(v.enoughSamples).toBe(true);
    expect(v.failed).toEqual([]);
    expect(byName(v.checks, 'accuracy')).toMatchObject({ judged: false, detail: 'not judged: candidate 10, champion 500 labeled (min 50)' });
  });

  it('falls back to the class distribution when there are no scores (and no labels yet)', () => {
    const classes = (up: number, down: number): Map<string, number> => new Map([['UP', up], ['DOWN', down]]);
    const v = judgeAnalysis({
      candidate: variant({ scored: 0, scoreBins: new Map(), classes: classes(900, 100), labeled: 0, correct: 0 }),
      champion: variant({ scored: 0, scoreBins: new Map(), classes: classes(500, 500), labeled: 0, correct: 0 }),
      agreement: null,
    }, thresholds);
    expect(byName(v.checks, 'prediction_psi')).toMatchObject({ passed: false, detail: 'class distribution (2 classes)' });
  });

  it('fails a shadow candidate that disagrees with the champion too often before its answers are labeled', () => {
    const v = judgeAnalysis({ candidate: variant({ labeled: 0, correct: 0 }), champion: variant({ labeled: 0, correct: 0 }), agreement: { pairs: 1000, agree: 700 } }, thresholds);
    expect(v.failed.map((c) => c.name)).toEqual(['agreement']);
  });

  it('computes PSI with empty bins clamped', () => {
    expect(populationStabilityIndex(new Map([[0, 50], [1, 50]]), new Map([[0, 50], [1, 50]]))).toBe(0);
    const psi = populationStabilityIndex(new Map([[0, 50], [1, 50]]), new Map([[0, 100]]));
    expect(psi).toBeCloseTo((1 - 0.5) * Math.log(1 / 0.5) + (1e-4 - 0.5) * Math.log(1e-4 / 0.5), 12);
  });
});
