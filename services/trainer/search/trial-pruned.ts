import { DriftloopError } from '../../common/index.js';

/**
 * Thrown through the objective by `trial.prune()` to stop a trial the pruner
 * judged unpromising; the study records it as pruned, not failed. (Control
 * flow inside a study: it never reaches a caller of runStudy.)
 */
export class TrialPruned extends DriftloopError {
  constructor(
    readonly trialId: number,
    readonly step: number | undefined,
  ) {
    super('DL_TRIAL_PRUNED', `trial ${trialId} pruned${step === undefined ? '' : ` at step ${step}`}`, 500, false);
  }
}
