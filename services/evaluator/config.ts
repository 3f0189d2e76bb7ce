import { opt } from '../common/index.js';
import { METRICS } from './metrics.js';

/** Options of the evaluator (README "Evaluation gates"). */
export const evaluatorOptions = {
  evalGroupId: opt.string({ env: 'EVAL_GROUP_ID', doc: 'Kafka consumer group the evaluator reads training-results with.', default: 'driftloop-evaluator' }),
  evalMetric: opt.enum({ env: 'EVAL_METRIC', doc: 'Metric the gates compare.', values: METRICS, default: 'accuracy' }),
  evalMinHoldoutRows: opt.int({ env: 'EVAL_MIN_HOLDOUT_ROWS', doc: 'Labeled traffic newer than the training window is the holdout when there is at least this much; fewer rows in the final holdout reject the candidate.', default: 200, min: 1 }),
  evalTestSplitRows: opt.int({ env: 'EVAL_TEST_SPLIT_ROWS', doc: 'Without that much newer traffic, the holdout is the newest this many rows (by event time) of the run\'s test split: the nearest to what the model will serve. A backtest on Elec2 moved from 74.90% to 76.25% with fewer deployments when the whole test split gave way to its newest 200 rows (README "Backtest").', default: 200, min: 1 }),
  evalMaxHoldoutRows: opt.int({ env: 'EVAL_MAX_HOLDOUT_ROWS', doc: 'Holdout rows used at most (the earliest after the training window).', default: 20_000, min: 1 }),
  evalAbsoluteThreshold: opt.number({ env: 'EVAL_ABSOLUTE_THRESHOLD', doc: 'The candidate\'s metric must reach this, with or without a champion (accuracy, auc: at least; log_loss: at most).', default: 0.5 }),
  evalMinImprovement: opt.number({ env: 'EVAL_MIN_IMPROVEMENT', doc: 'Candidate minus champion on the metric (positive = better) must be at least this on the same holdout; 0: not worse.', default: 0 }),
  evalMargin: opt.number({ env: 'EVAL_MARGIN', doc: 'The paired bootstrap interval of candidate minus champion may reach this far on the worse side, no further.', default: 0.02, min: 0 }),
  evalSliceMinRows: opt.int({ env: 'EVAL_SLICE_MIN_ROWS', doc: 'Slices (categorical feature = value) with at least this many holdout rows are checked.', default: 100, min: 1 }),
  evalSliceTolerance: opt.number({ env: 'EVAL_SLICE_TOLERANCE', doc: 'A slice\'s accuracy may fall at most this far below the champion\'s on it.', default: 0.05, min: 0, max: 1 }),
  evalBootstrapResamples: opt.int({ env: 'EVAL_BOOTSTRAP_RESAMPLES', doc: 'Bootstrap resamples for the confidence intervals.', default: 200, min: 10, max: 100_000 }),
  evalConfidence: opt.number({ env: 'EVAL_CONFIDENCE', doc: 'Level of the confidence intervals.', default: 0.95, min: 0.5, max: 0.999 }),
};
