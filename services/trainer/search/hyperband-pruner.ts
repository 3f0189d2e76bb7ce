/**
 * Hyperband, as Optuna's HyperbandPruner (optuna/pruners/_hyperband.py) with
 * its defaults: min_resource 1, max_resource 'auto', reduction_factor 3.
 *
 * There are floor(log_eta(max_resource / min_resource)) + 1 brackets; bracket
 * b is a successive-halving pruner with min_early_stopping_rate b, so higher
 * brackets let trials run longer before their first cut. Bracket b gets a
 * share of trials proportional to its budget ceil(n_brackets * eta^s / (s + 1)),
 * s = n_brackets - 1 - b. A trial's bracket is fixed by hashing, exactly as
 * Optuna: crc32(`${studyName}_${trialNumber}`) mod the total budget, walked
 * through the per-bracket budgets. A trial competes only with trials of its
 * own bracket.
 */
import { ValidationError } from '../../common/index.js';
import { crc32 } from './crc32.js';
import { createSuccessiveHalvingPruner } from './successive-halving-pruner.js';
import type { Pruner, TrialRecord } from './types.js';

export interface HyperbandOptions {
  /** Steps before the lowest bracket's first rung. @default 1 */
  minResource?: number;
  /** The last step + 1 a trial can reach (epochs); 'auto': last step + 1 of the first completed trial. @default 'auto' */
  maxResource?: number | 'auto';
  /** eta. @default 3 */
  reductionFactor?: number;
  /** Per-bracket bootstrap count (see successive halving); needs an explicit maxResource. @default 0 */
  bootstrapCount?: number;
  /** Hashed with the trial id to pick its bracket; Optuna's study_name gives Optuna's brackets. @default '' */
  studyName?: string;
}

export interface HyperbandPruner extends Pruner {
  /** The bracket of trial `id`, or undefined while maxResource is still 'auto' and unknown. */
  bracketOf(id: number): number | undefined;
  /** Per-bracket trial budgets, index = bracket; empty until maxResource is known. */
  readonly budgets: readonly number[];
}

/** Optuna's _calculate_trial_allocation_budget for every bracket. */
export function hyperbandBudgets(minResource: number, maxResource: number, reductionFactor: number): number[] {
  // floor(log_eta(max / min)) + 1, counted in integers: Optuna takes the float log, which comes out one
  // bracket short at some exact powers (math.log(1000, 10) = 2.9999999999999996).
  let nBrackets = 1;
  while (minResource * reductionFactor ** nBrackets <= maxResource) nBrackets++;
  return Array.from({ length: nBrackets }, (_, bracket) => {
    const s = nBrackets - 1 - bracket;
    return Math.ceil((nBrackets * reductionFactor ** s) / (s + 1));
  });
}

export function createHyperbandPruner(options: HyperbandOptions = {}): HyperbandPruner {
  const minResource = options.minResource ?? 1;
  const reductionFactor = options.reductionFactor ?? 3;
  const bootstrapCount = options.bootstrapCount ?? 0;
  const studyName = options.studyName ?? '';
  const configured = options.maxResource ?? 'auto';
  if (!(Number.isInteger(minResource) && minResource >= 1)) throw new ValidationError('/hyperband/minResource', `must be an integer >= 1, got ${minResource}`);
  if (configured !== 'auto' && !(Number.isInteger(configured) && configured >= minResource)) {
    throw new ValidationError('/hyperband/maxResource', `must be an integer >= minResource (${minResource}) or 'auto', got ${String(configured)}`);
  }
  if (!(Number.isInteger(reductionFactor) && reductionFactor >= 2)) throw new ValidationError('/hyperband/reductionFactor', `must be an integer >= 2, got ${reductionFactor}`);
  if (bootstrapCount > 0 && configured === 'auto') throw new ValidationError('/hyperband/bootstrapCount', "needs an explicit maxResource, not 'auto'");

  let budgets: number[] = [];
  let total = 0;
  let brackets: Pruner[] = [];
  const initialise = (maxResource: number): void => {
    budgets = hyperbandBudgets(minResource, maxResource, reductionFactor);
    total = budgets.reduce((s, b) => s + b, 0);
    brackets = budgets.map((_, bracket) =>
      createSuccessiveHalvingPruner({ minResource, reductionFactor, minEarlyStoppingRate: bracket, bootstrapCount }),
    );
  };
  if (configured !== 'auto') initialise(configured);

  // Every report filters the study's trials by bracket; hash each id once.
  const known = new Map<number, number>();
  const bracketOf = (id: number): number | undefined => {
    if (budgets.length === 0) return undefined;
    const cached = known.get(id);
    if (cached !== undefined) return cached;
    let n = crc32(`${studyName}_${id}`) % total;
    let bracket = 0;
    while (bracket < budgets.length - 1 && (n -= budgets[bracket]!) >= 0) bracket++;
    known.set(id, bracket);
    return bracket;
  };

  return {
    name: 'hyperband',
    get budgets() {
      return budgets;
    },
    bracketOf,
    shouldPrune(trial, step, allTrials, direction) {
      if (budgets.length === 0) {
        const lastSteps = allTrials.filter((t) => t.state === 'complete' && t.intermediate.size > 0).map((t) => Math.max(...t.intermediate.keys()));
        if (lastSteps.length === 0) return false;
        initialise(Math.max(Math.max(...lastSteps) + 1, minResource));
      }
      const bracket = bracketOf(trial.id)!;
      const sameBracket: TrialRecord[] = allTrials.filter((t) => bracketOf(t.id) === bracket);
      return brackets[bracket]!.shouldPrune(trial, step, sameBracket, direction);
    },
  };
}
