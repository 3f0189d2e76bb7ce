import type { DriftDecision } from '../../../schemas/index.js';
import type { EvaluationPolicy } from '../../evaluator/index.js';
import type { DriftPolicy } from '../../drift/index.js';
import type { AnalysisThresholds } from '../../rollout/index.js';
import type { TrainingSpec } from '../../trainer/index.js';
import type { HoldoutSettings } from './retrain.js';
import type { LabeledRecord } from './streams/index.js';

/** One record of the history, with the id its events carry. */
export interface HistoryRecord extends LabeledRecord {
  eventId: string;
}

/** What decides when an arm retrains. */
export type ArmSpec =
  /** The first champion serves the whole replay. */
  | { kind: 'never'; name: string }
  /** A cron job: retrain every `everyMs` of event time on the trailing `trainingWindowMs`, and deploy (no gates, no canary). */
  | { kind: 'schedule'; name: string; everyMs: number; trainingWindowMs: number }
  /** The drift monitor's policy (DRIFT_POLICIES keys), with the evaluator's gates and the canary's verdict after each retrain. */
  | { kind: 'policy'; name: string; policy: DriftPolicy };

export interface BacktestOptions {
  /** Labeled history in event-time order. */
  records: readonly HistoryRecord[];
  /** Index of the first record replayed; the first champion trains on the `initialRecords` before it. */
  startIndex: number;
  initialRecords: number;
  /** Labels become known this long after their record (event time). */
  labelDelayMs: number;
  arms: readonly ArmSpec[];
  /** The trainer spec every retrain uses (its window is replaced by the arm's training window). */
  trainer: TrainingSpec;
  evaluation: EvaluationPolicy;
  /** Where the evaluator's holdout comes from, as EVAL_TEST_SPLIT_ROWS and EVAL_MAX_HOLDOUT_ROWS say. */
  holdout: HoldoutSettings;
  canary: AnalysisThresholds;
  /** A policy window closes once events this much newer than its end exist (DRIFT_LATENESS_MS). */
  latenessMs: number;
  /** Served event time before a new champion's reference is completed from its own answers (DRIFT_PROMOTION_SERVED_MS). */
  servedMs: number;
  /** Record indexes where the concept is known to change. */
  changePoints: readonly number[];
  /** Where snapshots are exported. */
  workDir: string;
  /** Accuracy over time is reported per period of this much event time. @default 1 week */
  periodMs?: number;
  /** Share empty PSI bins are clamped to (DRIFT_PSI_EPSILON). @default 1e-4 */
  psiEpsilon?: number;
}

/** A policy arm's decision on one window, as the monitor would report it. */
export interface WindowDecision {
  start: number;
  end: number;
  rows: number;
  /** After the retrain gate: a retrain held back by the cooldown is a `watch`. */
  decision: DriftDecision;
  cause: 'drift' | 'performance' | null;
}

/** What one retrain came to. */
export interface RetrainRecord {
  /** Event time of the request. */
  at: number;
  cause: string;
  outcome: 'promoted' | 'rejected' | 'rolled_back' | 'failed';
  /** Event time the candidate took over (promoted only). */
  promotedAt: number | null;
  detail: string;
  trainedRows: number;
  cpuSeconds: number;
}

export interface ArmResult {
  name: string;
  kind: ArmSpec['kind'];
  records: number;
  accuracy: number;
  logLoss: number;
  auc: number;
  /** Accuracy per period: [period start ms, accuracy, records]. */
  overTime: [number, number, number][];
  retrains: { requested: number; promoted: number; rejected: number; rolledBack: number; failed: number };
  history: RetrainRecord[];
  windows: number;
  /** Every window a policy arm decided, in order (empty for the other arms). */
  decisions: WindowDecision[];
  trainingCpuSeconds: number;
  /** Event time from each known change point to the first promotion after it (null: none followed). */
  changeDelaysMs: (number | null)[];
  /** Processing time the arm took, and its windows' and retrains' share. */
  wallSeconds: number;
  windowSeconds: number;
  retrainSeconds: number;
  /** References built on promotion and completed from served answers. */
  referenceSeconds: number;
  /** Answers stored for the windows' prediction and performance statistics. */
  servingSeconds: number;
}
