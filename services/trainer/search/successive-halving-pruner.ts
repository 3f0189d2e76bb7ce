/**
 * Asynchronous successive halving (ASHA), as Optuna's SuccessiveHalvingPruner
 * (optuna/pruners/_successive_halving.py) with its defaults: min_resource
 * 'auto', reduction_factor (eta) 4, min_early_stopping_rate (s) 0,
 * bootstrap_count 0.
 *
 * Rung r ends at step min_resource * eta^(s + r). A trial reaching it is
 * promoted (runs on) only if its value there is within the top
 * floor(n / eta) of the n trials that have reached that rung so far (itself
 * included); while n < eta it must be the best of them. Otherwise it is pruned.
 *
 * Optuna stores each trial's rung values as trial attributes when it checks
 * them; here they are read back from the reported curves (the value at the
 * first reported step at or past the rung), which makes the pruner stateless
 * apart from the 'auto' min_resource, and lets a resumed study judge against
 * trials recorded before the restart. The one difference: trials reported
 * before 'auto' resolved also count as having reached the rungs they passed.
 */
import { ValidationError } from '../../common/index.js';
import type { Direction, Pruner, PrunerTrial, TrialRecord } from './types.js';

export interface SuccessiveHalvingOptions {
  /** Steps before the first rung ends (r in the ASHA paper); 'auto': max step of the first completed trials / 100, at least 1. @default 'auto' */
  minResource?: number | 'auto';
  /** eta: about 1/eta of the trials reaching a rung are promoted. @default 4 */
  reductionFactor?: number;
  /** s: rung r ends at minResource * eta^(s + r). @default 0 */
  minEarlyStoppingRate?: number;
  /** Trials that must have reached a rung before any is promoted from it. @default 0 */
  bootstrapCount?: number;
}

/** Rung value of a curve: the value at its first reported step >= `rungStep`, if any. */
export function rungValue(intermediate: ReadonlyMap<number, number>, rungStep: number): number | undefined {
  let firstStep = Infinity;
  for (const s of intermediate.keys()) if (s >= rungStep && s < firstStep) firstStep = s;
  return firstStep === Infinity ? undefined : intermediate.get(firstStep);
}

function lastStepOf(trial: { intermediate: ReadonlyMap<number, number> }): number | undefined {
  let last: number | undefined;
  for (const s of trial.intermediate.keys()) if (last === undefined || s > last) last = s;
  return last;
}

/** Optuna's _is_trial_promotable_to_next_rung; `competing` includes `value`. */
export function isPromotable(value: number, competing: readonly number[], reductionFactor: number, direction: Direction): boolean {
  let index = Math.floor(competing.length / reductionFactor) - 1;
  // No suspend/resume: while fewer than eta trials reached the rung, only the best so far goes on.
  if (index === -1) index = 0;
  const sorted = [...competing].sort((a, b) => a - b);
  return direction === 'maximize' ? value >= sorted[sorted.length - 1 - index]! : value <= sorted[index]!;
}

export function createSuccessiveHalvingPruner(options: SuccessiveHalvingOptions = {}): Pruner {
  const reductionFactor = options.reductionFactor ?? 4;
  const minEarlyStoppingRate = options.minEarlyStoppingRate ?? 0;
  const bootstrapCount = options.bootstrapCount ?? 0;
  const configured = options.minResource ?? 'auto';
  if (configured !== 'auto' && !(Number.isInteger(configured) && configured >= 1)) {
    throw new ValidationError('/successiveHalving/minResource', `must be an integer >= 1 or 'auto', got ${String(configured)}`);
  }
  if (!(Number.isInteger(reductionFactor) && reductionFactor >= 2)) throw new ValidationError('/successiveHalving/reductionFactor', `must be an integer >= 2, got ${reductionFactor}`);
  if (!(Number.isInteger(minEarlyStoppingRate) && minEarlyStoppingRate >= 0)) {
    throw new ValidationError('/successiveHalving/minEarlyStoppingRate', `must be an integer >= 0, got ${minEarlyStoppingRate}`);
  }
  if (!(Number.isInteger(bootstrapCount) && bootstrapCount >= 0)) throw new ValidationError('/successiveHalving/bootstrapCount', `must be an integer >= 0, got ${bootstrapCount}`);
  if (bootstrapCount > 0 && configured === 'auto') throw new ValidationError('/successiveHalving/bootstrapCount', "needs an explicit minResource, not 'auto'");

  let minResource = configured === 'auto' ? undefined : configured;
  const rungStep = (rung: number): number => minResource! * reductionFactor ** (minEarlyStoppingRate + rung);

  return {
    name: 'successiveHalving',
    shouldPrune(trial: PrunerTrial, step: number, allTrials: readonly TrialRecord[], direction: Direction): boolean {
      const value = trial.intermediate.get(step);
      if (value === undefined) return false;
      if (minResource === undefined) {
        // Optuna's _estimate_min_resource, fixed once known.
        const lastSteps = allTrials.filter((t) => t.state === 'complete').flatMap((t) => lastStepOf(t) ?? []);
        if (lastSteps.length === 0) return false;
        minResource = Math.max(Math.floor(Math.max(...lastSteps) / 100), 1);
      }
      // Rungs ended at or before the trial's previous report were judged then.
      let previous = -Infinity;
      for (const s of trial.intermediate.keys()) if (s < step && s > previous) previous = s;
      let rung = 0;
      while (rungStep(rung) <= previous) rung++;

      for (; rungStep(rung) <= step; rung++) {
        if (Number.isNaN(value)) return true;
        const competing = [value];
        for (const other of allTrials) {
          if (other.id === trial.id) continue;
          const v = rungValue(other.intermediate, rungStep(rung));
          // A NaN at a rung is pruned there without being recorded (Optuna checks NaN before storing).
          if (v !== undefined && !Number.isNaN(v)) competing.push(v);
        }
        if (competing.length <= bootstrapCount) return true;
        if (!isPromotable(value, competing, reductionFactor, direction)) return true;
      }
      return false;
    },
  };
}
