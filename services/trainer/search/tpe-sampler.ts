/**
 * Tree-structured Parzen Estimator, independent (one parameter at a time),
 * after Optuna's TPESampler (optuna/samplers/_tpe/sampler.py, v4) with its
 * defaults:
 *
 * - the first n_startup_trials (10) finished trials are sampled at random;
 * - finished trials (complete and pruned; running and failed ones are
 *   ignored) are split into the gamma(n) = min(ceil(0.1 n), 25) best ("below")
 *   and the rest ("above"). Complete trials rank by value; pruned trials rank
 *   after them, by the furthest step they reached, then by their value there;
 * - per parameter, a Parzen estimator l(x) is fitted on the below trials and
 *   g(x) on the above ones (see parzen-estimator.ts for the bandwidth rules),
 *   n_ei_candidates (24) candidates are drawn from l, and the one maximising
 *   log l(x) - log g(x) (the expected-improvement ratio) is taken.
 */
import { ValidationError } from '../../common/index.js';
import { createParzenEstimator, DEFAULT_PARZEN_OPTIONS, type ParzenOptions } from './parzen-estimator.js';
import { sampleUniform } from './random-sampler.js';
import { containsValue, type ParamValue, type Params } from './space.js';
import type { Direction, Sampler, TrialRecord } from './types.js';

export interface TpeOptions extends Partial<ParzenOptions> {
  /** Finished trials sampled at random before the model is used. @default 10 */
  nStartupTrials?: number;
  /** Candidates drawn from l(x) per parameter. @default 24 */
  nEiCandidates?: number;
  /** How many finished trials count as good, given how many finished. @default n => min(ceil(0.1 n), 25) */
  gamma?: (finished: number) => number;
}

/** Optuna's default_gamma. */
export function defaultGamma(n: number): number {
  return Math.min(Math.ceil(0.1 * n), 25);
}

/** Sort key for a pruned trial: further steps first, then its value at its last step; no steps last. */
function prunedScore(trial: TrialRecord, direction: Direction): [number, number] {
  if (trial.intermediate.size === 0) return [1, 0];
  let lastStep = -Infinity;
  for (const step of trial.intermediate.keys()) lastStep = Math.max(lastStep, step);
  const value = trial.intermediate.get(lastStep)!;
  if (Number.isNaN(value)) return [-lastStep, Infinity];
  return [-lastStep, direction === 'minimize' ? value : -value];
}

/** Optuna's _split_trials for one objective: the `nBelow` best finished trials and the rest, each in id order. */
export function splitTrials(finished: readonly TrialRecord[], nBelow: number, direction: Direction): { below: TrialRecord[]; above: TrialRecord[] } {
  const sign = direction === 'minimize' ? 1 : -1;
  const complete = finished.filter((t) => t.state === 'complete').sort((a, b) => sign * (a.value! - b.value!) || a.id - b.id);
  const pruned = finished
    .filter((t) => t.state === 'pruned')
    .map((t) => ({ t, score: prunedScore(t, direction) }))
    .sort((a, b) => a.score[0] - b.score[0] || a.score[1] - b.score[1] || a.t.id - b.t.id)
    .map((s) => s.t);
  const nComplete = Math.min(nBelow, complete.length);
  const nPruned = Math.min(Math.max(0, nBelow - nComplete), pruned.length);
  const below = [...complete.slice(0, nComplete), ...pruned.slice(0, nPruned)].sort((a, b) => a.id - b.id);
  const above = [...complete.slice(nComplete), ...pruned.slice(nPruned)].sort((a, b) => a.id - b.id);
  return { below, above };
}

function positiveInteger(value: number, path: string): number {
  if (!Number.isInteger(value) || value < 0) throw new ValidationError(path, `must be a non-negative integer, got ${value}`);
  return value;
}

export function createTpeSampler(options: TpeOptions = {}): Sampler {
  const nStartupTrials = positiveInteger(options.nStartupTrials ?? 10, '/tpe/nStartupTrials');
  const nEiCandidates = positiveInteger(options.nEiCandidates ?? 24, '/tpe/nEiCandidates');
  if (nEiCandidates === 0) throw new ValidationError('/tpe/nEiCandidates', 'must be >= 1');
  const gamma = options.gamma ?? defaultGamma;
  const parzen: ParzenOptions = {
    priorWeight: options.priorWeight ?? DEFAULT_PARZEN_OPTIONS.priorWeight,
    considerMagicClip: options.considerMagicClip ?? DEFAULT_PARZEN_OPTIONS.considerMagicClip,
    considerEndpoints: options.considerEndpoints ?? DEFAULT_PARZEN_OPTIONS.considerEndpoints,
  };
  if (!(parzen.priorWeight >= 0)) throw new ValidationError('/tpe/priorWeight', `must be >= 0, got ${parzen.priorWeight}`);

  return {
    name: 'tpe',
    sample(space, history, rng, direction) {
      const finished = history.filter((t) => (t.state === 'complete' && t.value !== undefined && !Number.isNaN(t.value)) || t.state === 'pruned');
      const params: Params = {};
      if (finished.length < nStartupTrials) {
        for (const [name, spec] of Object.entries(space)) params[name] = sampleUniform(spec, rng);
        return params;
      }
      const { below, above } = splitTrials(finished, gamma(finished.length), direction);
      for (const [name, spec] of Object.entries(space)) {
        if (spec.type === 'categorical' && spec.choices.length === 1) {
          params[name] = spec.choices[0]!;
          continue;
        }
        // Trials from an older space may lack the param or hold a value outside it; they do not inform it.
        const observed = (trials: TrialRecord[]): ParamValue[] => trials.map((t) => t.params[name]).filter((v): v is ParamValue => v !== undefined && containsValue(spec, v));
        const l = createParzenEstimator(spec, observed(below), parzen);
        const g = createParzenEstimator(spec, observed(above), parzen);
        const candidates = l.sample(rng, nEiCandidates);
        let best = candidates[0]!;
        let bestScore = -Infinity;
        for (const candidate of candidates) {
          const score = l.logPdf(candidate) - g.logPdf(candidate);
          if (score > bestScore) {
            best = candidate;
            bestScore = score;
          }
        }
        params[name] = best;
      }
      return params;
    },
  };
}
