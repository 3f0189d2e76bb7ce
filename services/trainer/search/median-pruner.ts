/**
 * Median stopping rule, as Optuna's MedianPruner (a PercentilePruner at 50,
 * optuna/pruners/_percentile.py): once n_startup_trials (5) trials completed,
 * a trial is pruned at a checked step when its best value over the steps it
 * reported so far is worse than the median of the completed trials' values at
 * that same step. No pruning before n_warmup_steps (0); afterwards, one check
 * per interval_steps (1). NaN values of completed trials are ignored; a trial
 * whose every value is NaN is pruned.
 */
import { ValidationError } from '../../common/index.js';
import type { Direction, Pruner, PrunerTrial, TrialRecord } from './types.js';

export interface MedianPrunerOptions {
  /** Completed trials needed before anything is pruned. @default 5 */
  nStartupTrials?: number;
  /** Steps a trial runs before it can be pruned; the first check is at step == nWarmupSteps. @default 0 */
  nWarmupSteps?: number;
  /** Steps between checks, counted from nWarmupSteps. @default 1 */
  intervalSteps?: number;
  /** Completed trials that must have reported the step for its median to count. @default 1 */
  nMinTrials?: number;
}

function nonNegativeInteger(value: number, path: string, min = 0): number {
  if (!Number.isInteger(value) || value < min) throw new ValidationError(path, `must be an integer >= ${min}, got ${value}`);
  return value;
}

/** numpy.nanpercentile with linear interpolation; NaN when no value is a number. */
export function nanPercentile(values: readonly number[], percentile: number): number {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = (percentile / 100) * (sorted.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (rank - lower);
}

/** Best over all reported steps, NaN ignored (numpy nanmin / nanmax). */
function bestSoFar(intermediate: ReadonlyMap<number, number>, direction: Direction): number {
  let best = Number.NaN;
  for (const v of intermediate.values()) {
    if (Number.isNaN(v)) continue;
    if (Number.isNaN(best) || (direction === 'minimize' ? v < best : v > best)) best = v;
  }
  return best;
}

/** Optuna's _is_first_in_interval_step: whether `step` is the first report at or after the latest check point. */
function isFirstInInterval(step: number, steps: Iterable<number>, warmup: number, interval: number): boolean {
  const nearestCheck = Math.floor((step - warmup) / interval) * interval + warmup;
  let secondLast = -1;
  for (const s of steps) if (s > secondLast && s !== step) secondLast = s;
  return secondLast < nearestCheck;
}

export function createPercentilePruner(percentile: number, options: MedianPrunerOptions = {}): Pruner {
  if (!(percentile >= 0 && percentile <= 100)) throw new ValidationError('/percentile/percentile', `must be between 0 and 100, got ${percentile}`);
  const nStartupTrials = nonNegativeInteger(options.nStartupTrials ?? 5, '/median/nStartupTrials');
  const nWarmupSteps = nonNegativeInteger(options.nWarmupSteps ?? 0, '/median/nWarmupSteps');
  const intervalSteps = nonNegativeInteger(options.intervalSteps ?? 1, '/median/intervalSteps', 1);
  const nMinTrials = nonNegativeInteger(options.nMinTrials ?? 1, '/median/nMinTrials', 1);

  return {
    name: percentile === 50 ? 'median' : `percentile(${percentile})`,
    shouldPrune(trial: PrunerTrial, step: number, allTrials: readonly TrialRecord[], direction: Direction): boolean {
      const completed = allTrials.filter((t) => t.state === 'complete' && t.id !== trial.id);
      if (completed.length === 0 || completed.length < nStartupTrials) return false;
      if (step < nWarmupSteps) return false;
      if (!isFirstInInterval(step, trial.intermediate.keys(), nWarmupSteps, intervalSteps)) return false;

      const best = bestSoFar(trial.intermediate, direction);
      if (Number.isNaN(best)) return true;
      const atStep = completed.flatMap((t) => (t.intermediate.has(step) ? [t.intermediate.get(step)!] : []));
      if (atStep.length < nMinTrials) return false;
      // For maximize, "the worse half" is below the (100 - p)th percentile.
      const threshold = nanPercentile(atStep, direction === 'maximize' ? 100 - percentile : percentile);
      if (Number.isNaN(threshold)) return false;
      return direction === 'maximize' ? best < threshold : best > threshold;
    },
  };
}

export function createMedianPruner(options: MedianPrunerOptions = {}): Pruner {
  return createPercentilePruner(50, options);
}
