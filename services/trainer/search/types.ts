/** The narrow interfaces the study runs against: samplers propose params, pruners stop trials early. */
import type { Rng } from './rng.js';
import type { Params, SearchSpace } from './space.js';

export type Direction = 'minimize' | 'maximize';

/** `running` trials appear in the history samplers see; the others are final. */
export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

export interface TrialRecord {
  /** 0-based, in start order (Optuna's `trial.number`). */
  id: number;
  state: TrialState;
  params: Params;
  /** Per-step metric reported by the objective (step = epoch), in report order. */
  intermediate: Map<number, number>;
  /** The objective's result for `complete` trials; for `pruned` ones the last reported value (as Optuna), if not NaN. */
  value?: number;
  /** Why a `failed` trial failed. */
  error?: string;
  startedAtMs: number;
  finishedAtMs?: number;
  durationMs?: number;
}

export interface Sampler {
  readonly name: string;
  /**
   * Params for the next trial. `history` holds every trial started so far,
   * running ones included, in id order; `rng` is the study's.
   */
  sample(space: SearchSpace, history: readonly TrialRecord[], rng: Rng, direction: Direction): Params;
  /** True when the sampler has nothing new to propose (the grid is covered); the study then starts no more trials. */
  isExhausted?(space: SearchSpace, history: readonly TrialRecord[]): boolean;
}

/** What a pruner needs of the trial under judgment. */
export interface PrunerTrial {
  id: number;
  intermediate: ReadonlyMap<number, number>;
}

export interface Pruner {
  readonly name: string;
  /**
   * Called after the trial reported `step`; true means stop it now.
   * `allTrials` is every trial of the study (the one judged included, as `running`).
   */
  shouldPrune(trial: PrunerTrial, step: number, allTrials: readonly TrialRecord[], direction: Direction): boolean;
}

/** -1, 0 or 1 as `a` is better than, as good as, or worse than `b` for `direction`. */
export function compareValues(a: number, b: number, direction: Direction): number {
  if (a === b) return 0;
  const better = direction === 'minimize' ? a < b : a > b;
  return better ? -1 : 1;
}

/** The best complete trial (lowest id among ties), or undefined when none completed. */
export function bestTrial(trials: readonly TrialRecord[], direction: Direction): TrialRecord | undefined {
  let best: TrialRecord | undefined;
  for (const t of trials) {
    if (t.state !== 'complete' || t.value === undefined) continue;
    if (best === undefined || compareValues(t.value, best.value!, direction) < 0 || (t.value === best.value && t.id < best.id)) best = t;
  }
  return best;
}
