import { ValidationError } from '../common/index.js';
import { PRUNER_KINDS, SAMPLER_KINDS, parseSearchSpace, type PrunerKind, type SamplerKind, type SearchSpace } from './search/index.js';
import type { SnapshotWindow } from './snapshot.js';

/** What a run trains: data window, trainer, search and budget. A retrain request's `params` override it. */
export interface TrainingSpec {
  window: SnapshotWindow;
  algorithm: 'logistic' | 'mlp';
  /** Fixed trainer params; searched ones come from `space`. */
  params: Record<string, number | string | number[]>;
  space: SearchSpace;
  sampler: SamplerKind;
  pruner: PrunerKind;
  /** Validation metric the search minimizes (per epoch, for pruning, and final). */
  metric: 'val_loss';
  maxTrials: number;
  maxTimeMs: number;
  seed: number;
}

/** What is searched by default, per algorithm (a request's `space` replaces it). */
export const DEFAULT_SPACES: Readonly<Record<TrainingSpec['algorithm'], SearchSpace>> = Object.freeze({
  logistic: parseSearchSpace({ lr: { type: 'logfloat', low: 1e-3, high: 1e-1 }, l2: { type: 'logfloat', low: 1e-6, high: 1e-2 } }),
  mlp: parseSearchSpace({ lr: { type: 'logfloat', low: 1e-3, high: 3e-2 }, hidden: { type: 'categorical', choices: [16, 32] }, l2: { type: 'logfloat', low: 1e-6, high: 1e-2 } }),
});

export const DEFAULT_SPEC: TrainingSpec = Object.freeze({
  window: { kind: 'latest', rows: 20_000 },
  algorithm: 'mlp',
  params: { epochs: 8, batchSize: 64 },
  space: DEFAULT_SPACES.mlp,
  sampler: 'tpe',
  pruner: 'median',
  metric: 'val_loss',
  maxTrials: 8,
  maxTimeMs: 10 * 60_000,
  seed: 1,
}) as TrainingSpec;

const INT = /^\d+$/;

/**
 * The spec of a run: `base` (the trainer's configured default) with a retrain
 * request's string `params` applied: `window_rows`, `window_from`/`window_to`
 * (ISO times), `algorithm`, `max_trials`, `max_time_ms`, `sampler`, `pruner`,
 * `seed`, `space` (JSON search space) and `param.<name>` (a fixed trainer
 * param, JSON). Unknown keys are refused naming the key and the allowed ones.
 */
export function resolveSpec(base: TrainingSpec, overrides: Record<string, string> = {}): TrainingSpec {
  const spec: TrainingSpec = { ...base, params: { ...base.params } };
  const at = (key: string): string => `/params/${key}`;
  const int = (key: string, value: string, min: number): number => {
    if (!INT.test(value) || Number(value) < min) throw new ValidationError(at(key), `must be an integer >= ${min}`);
    return Number(value);
  };
  for (const [key, value] of Object.entries(overrides)) {
    if (key.startsWith('param.')) {
      try {
        spec.params[key.slice(6)] = JSON.parse(value) as number | string | number[];
      } catch {
        throw new ValidationError(at(key), 'must be JSON, e.g. 64 or [32,16]');
      }
      continue;
    }
    switch (key) {
      case 'window_rows':
        spec.window = { kind: 'latest', rows: int(key, value, 1) };
        break;
      case 'window_from':
      case 'window_to': {
        const from = Date.parse(overrides.window_from ?? '');
        const to = Date.parse(overrides.window_to ?? '');
        if (Number.isNaN(from) || Number.isNaN(to) || to <= from) throw new ValidationError(at(key), 'window_from and window_to must both be ISO times, from before to');
        spec.window = { kind: 'range', from, to };
        break;
      }
      case 'algorithm':
        if (value !== 'logistic' && value !== 'mlp') throw new ValidationError(at(key), 'must be one of logistic, mlp');
        // The other algorithm's default space would search params this one does not take.
        if (spec.space === DEFAULT_SPACES[spec.algorithm] && overrides.space === undefined) spec.space = DEFAULT_SPACES[value];
        spec.algorithm = value;
        break;
      case 'max_trials':
        spec.maxTrials = int(key, value, 1);
        break;
      case 'max_time_ms':
        spec.maxTimeMs = int(key, value, 1);
        break;
      case 'seed':
        spec.seed = int(key, value, 0);
        break;
      case 'sampler':
        if (!(SAMPLER_KINDS as readonly string[]).includes(value)) throw new ValidationError(at(key), `must be one of ${SAMPLER_KINDS.join(', ')}`);
        spec.sampler = value as SamplerKind;
        break;
      case 'pruner':
        if (!(PRUNER_KINDS as readonly string[]).includes(value)) throw new ValidationError(at(key), `must be one of ${PRUNER_KINDS.join(', ')}`);
        spec.pruner = value as PrunerKind;
        break;
      case 'space': {
        let json: unknown;
        try {
          json = JSON.parse(value);
        } catch {
          throw new ValidationError(at(key), 'must be a JSON search space');
        }
        spec.space = parseSearchSpace(json, at(key));
        break;
      }
      default:
        throw new ValidationError(at(key), 'unknown override (allowed: window_rows, window_from, window_to, algorithm, max_trials, max_time_ms, seed, sampler, pruner, space, param.<name>)');
    }
  }
  return spec;
}
