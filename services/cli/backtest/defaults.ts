import { loadConfig } from '../../common/index.js';
import { DEFAULT_POLICY, mergePolicy, type DriftPolicy } from '../../drift/index.js';
import { evaluatorOptions, type EvaluationPolicy } from '../../evaluator/index.js';
import { rolloutOptions, thresholdsFromConfig } from '../../rollout/index.js';
import type { AnalysisThresholds } from '../../rollout/index.js';
import { DEFAULT_SPEC, resolveSpec, type TrainingSpec } from '../../trainer/index.js';
import type { HoldoutSettings } from './retrain.js';
import type { ArmSpec } from './types.js';

export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/**
 * The trainer a backtest retrains with unless told otherwise: the builtin
 * logistic regression with one setting (learning rate 0.05, 20 epochs), one
 * trial, so a backtest of a hundred retrains takes seconds and every arm
 * trains the same way. A single random draw of the default space (lr down to
 * 0.001) underfit: 16% error where the noise allows 10% on SEA. Keys as in
 * TRAINER_SPEC.
 */
export const BACKTEST_TRAINER: Readonly<Record<string, string>> = Object.freeze({
  algorithm: 'logistic', max_trials: '1', sampler: 'grid', space: JSON.stringify({ lr: { type: 'categorical', choices: [0.05] } }), 'param.epochs': '20',
});

export function backtestTrainer(overrides: Record<string, string> = {}): TrainingSpec {
  return resolveSpec(DEFAULT_SPEC, { ...BACKTEST_TRAINER, ...overrides });
}

/** The evaluator's gates and the rollout's checks as configured (EVAL_*, ROLLOUT_*), so the backtest judges as the services would. */
export function releaseSettings(env: NodeJS.ProcessEnv = process.env): { evaluation: EvaluationPolicy; holdout: HoldoutSettings; canary: AnalysisThresholds } {
  const e = loadConfig(evaluatorOptions, env);
  return {
    evaluation: {
      metric: e.evalMetric, minHoldoutRows: e.evalMinHoldoutRows, absoluteThreshold: e.evalAbsoluteThreshold, minImprovement: e.evalMinImprovement, margin: e.evalMargin,
      sliceMinRows: e.evalSliceMinRows, sliceTolerance: e.evalSliceTolerance, resamples: e.evalBootstrapResamples, confidence: e.evalConfidence,
    },
    holdout: { testSplitRows: e.evalTestSplitRows, maxRows: e.evalMaxHoldoutRows },
    canary: thresholdsFromConfig(loadConfig(rolloutOptions, env)),
  };
}

/** The schedules every backtest compares with: retrain every 1, 2, 4 and 13 weeks on the trailing `trainingWindowMs`. */
export function scheduleArms(trainingWindowMs: number, weeks: readonly number[] = [1, 2, 4, 13]): ArmSpec[] {
  return weeks.map((w) => ({ kind: 'schedule', name: `every ${w} week${w === 1 ? '' : 's'}`, everyMs: w * WEEK_MS, trainingWindowMs }));
}

/** A policy arm from DRIFT_POLICIES-style keys over the monitor's defaults. */
export function policyArm(name: string, keys: Record<string, unknown>, base: DriftPolicy = DEFAULT_POLICY): ArmSpec {
  return { kind: 'policy', name, policy: mergePolicy(base, keys, `policy ${name}`) };
}

/**
 * The policies `driftloop backtest` and `npm run bench -- backtest` compare
 * unless told otherwise, as DRIFT_POLICIES keys over the monitor's defaults.
 */
export const BACKTEST_POLICIES = {
  // The monitor's defaults with weekly windows (hourly ones on half-hourly data decide nothing): the accuracy decides where it is
  // judged, drift where it is not; a retrain trains on the last 6 windows, at most one per window (trainingWindows, cooldownWindows).
  'monitor defaults, weekly windows': { windowMs: WEEK_MS },
  // The same with River's DDM on the labeled error stream.
  'defaults + DDM': { windowMs: WEEK_MS, errorDetector: 'ddm' },
  // The same retraining on a smaller drop of accuracy (a 3-week window instead holds too few test rows for the evaluator's 200).
  'defaults, drop 0.03': { windowMs: WEEK_MS, maxAccuracyDrop: 0.03 },
} satisfies Record<string, Record<string, unknown>>;
