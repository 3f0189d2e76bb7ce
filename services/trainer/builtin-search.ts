import { systemClock, type Clock } from '../common/index.js';
import { trainBuiltin, type TabularRows } from './builtin/index.js';
import { createPruner, createSampler, runStudy, trialSeed, type StudyOptions, type StudyResult, type TrialHandle, type TrialRecord as SearchTrial } from './search/index.js';
import type { TrainingSpec } from './spec.js';

/** The snapshot's rows, as the builtin trainers take them. */
export interface BuiltinSplits {
  train: TabularRows;
  validation: TabularRows;
  test: TabularRows;
}

/**
 * One builtin trial: trains with the trial's params and seed, reporting the
 * searched metric after every epoch to the pruner (which may stop it), and
 * returns the last epoch's value. `onEpoch` sees every epoch's metrics.
 */
export async function builtinTrial(
  spec: TrainingSpec,
  data: Pick<BuiltinSplits, 'train' | 'validation'>,
  trial: TrialHandle,
  options: { signal?: AbortSignal; onEpoch?: (epoch: number, metrics: Record<string, number | undefined>) => void } = {},
): Promise<number> {
  let pruned = false;
  const { history } = await trainBuiltin({
    algorithm: spec.algorithm,
    params: { ...spec.params, ...(trial.params as Record<string, number | string>) },
    seed: trialSeed(spec.seed, trial.id),
    train: data.train,
    validation: data.validation,
    ...(options.signal ? { signal: options.signal } : {}),
    onEpoch: ({ epoch, metrics }) => {
      options.onEpoch?.(epoch, { ...metrics });
      const value = metrics[spec.metric];
      pruned = value !== undefined && trial.report(epoch, value);
      return pruned ? 'stop' : 'continue';
    },
  });
  if (pruned) trial.prune();
  return history[history.length - 1]!.metrics[spec.metric];
}

/** What a run's spec decides of its study: space, sampler, pruner, direction, budgets and seed. */
export function studyOf(spec: TrainingSpec): Pick<StudyOptions, 'space' | 'sampler' | 'pruner' | 'direction' | 'maxTrials' | 'maxTimeMs' | 'seed'> {
  return { space: spec.space, sampler: createSampler(spec.sampler), pruner: createPruner(spec.pruner), direction: 'minimize', maxTrials: spec.maxTrials, maxTimeMs: spec.maxTimeMs, seed: spec.seed };
}

/** A finished study as a run reads it: the best trial, how many ran, the first error. */
export function searchOutcome(result: StudyResult): { best: SearchTrial | undefined; trials: number; firstError?: string } {
  return { best: result.best, trials: result.trials.length, firstError: result.trials.find((t) => t.error)?.error };
}

/**
 * The builtin search of a run with nothing recorded: the same study, sampler,
 * pruner, seeds and objective as `executeRun`, for callers that hold the rows
 * already (the backtest). `maxTimeMs` is a processing-time budget.
 */
export async function searchBuiltin(spec: TrainingSpec, data: BuiltinSplits, options: { parallelism?: number; clock?: Clock; signal?: AbortSignal } = {}): Promise<{ best: SearchTrial | undefined; trials: number; firstError?: string }> {
  const result = await runStudy({
    ...studyOf(spec),
    parallelism: options.parallelism ?? 1,
    clock: options.clock ?? systemClock,
    ...(options.signal ? { signal: options.signal } : {}),
    objective: (trial) => builtinTrial(spec, data, trial, options.signal ? { signal: options.signal } : {}),
  });
  return searchOutcome(result);
}
