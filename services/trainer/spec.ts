import { fileURLToPath } from 'node:url';
import { ConfigError, ValidationError } from '../common/index.js';
import { PRUNER_KINDS, SAMPLER_KINDS, parseSearchSpace, type PrunerKind, type SamplerKind, type SearchSpace } from './search/index.js';
import type { SnapshotWindow } from './snapshot.js';

/** What a run trains: data window, trainer, search and budget. A retrain request's `params` override it. */
export interface TrainingSpec {
  window: SnapshotWindow;
  /** `builtin` (in-process TypeScript), or the name of an external trainer command (TRAINER_COMMANDS). */
  trainer: string;
  /** The external command line (the spec path is appended); empty for builtin. Recorded so the run says what ran. */
  command: string[];
  /** Builtin trainers only. */
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
  /** External trials: killed past this, and failed (not retried). */
  trialTimeoutMs: number;
  /** External trials: attempts after the first, for retriable failures (exit 75, killed from outside). */
  trialRetries: number;
  seed: number;
}

/** An external trainer (README "External trainers"): its command line and what a run searches and fixes by default. */
export interface TrainerCommand {
  command: string[];
  space: SearchSpace;
  params: Record<string, number | string | number[]>;
}

/** The reference PyTorch trainer, run with `python` (an interpreter that imports torch). */
export function torchTrainer(python: string): TrainerCommand {
  return {
    command: [python, fileURLToPath(new URL('../../infra/trainers/torch_mlp.py', import.meta.url))],
    space: DEFAULT_SPACES.mlp,
    params: { epochs: 8, batchSize: 64 },
  };
}

/** What is searched by default, per algorithm (a request's `space` replaces it). */
export const DEFAULT_SPACES: Readonly<Record<TrainingSpec['algorithm'], SearchSpace>> = Object.freeze({
  logistic: parseSearchSpace({ lr: { type: 'logfloat', low: 1e-3, high: 1e-1 }, l2: { type: 'logfloat', low: 1e-6, high: 1e-2 } }),
  mlp: parseSearchSpace({ lr: { type: 'logfloat', low: 1e-3, high: 3e-2 }, hidden: { type: 'categorical', choices: [16, 32] }, l2: { type: 'logfloat', low: 1e-6, high: 1e-2 } }),
});

export const DEFAULT_SPEC: TrainingSpec = Object.freeze({
  window: { kind: 'latest', rows: 20_000 },
  trainer: 'builtin',
  command: [],
  algorithm: 'mlp',
  params: { epochs: 8, batchSize: 64 },
  space: DEFAULT_SPACES.mlp,
  sampler: 'tpe',
  pruner: 'median',
  metric: 'val_loss',
  maxTrials: 8,
  maxTimeMs: 10 * 60_000,
  trialTimeoutMs: 30 * 60_000,
  trialRetries: 2,
  seed: 1,
}) as TrainingSpec;

const COMMAND_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

/**
 * The external trainers a run may name: the reference `torch-mlp` (run with
 * `python`) plus TRAINER_COMMANDS, JSON of
 * `{"<name>": {"command": ["argv", ...], "space": {...}?, "params": {...}?}}`
 * (space and params default to the MLP's).
 */
export function parseTrainerCommands(json: string, python: string): Record<string, TrainerCommand> {
  const fail = (reason: string): never => {
    throw new ConfigError('TRAINER_COMMANDS', reason);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (err) {
    return fail(`must be JSON (${(err as Error).message})`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return fail('must be a JSON object of name -> {command, space?, params?}');
  const commands: Record<string, TrainerCommand> = { 'torch-mlp': torchTrainer(python) };
  for (const [name, entry] of Object.entries(parsed as Record<string, unknown>)) {
    if (!COMMAND_NAME.test(name) || name === 'builtin') fail(`${JSON.stringify(name)} is not allowed as a trainer name (allowed: ${COMMAND_NAME.source}, not builtin)`);
    const e = entry as Record<string, unknown>;
    if (e === null || typeof e !== 'object' || !Array.isArray(e.command) || e.command.length === 0 || !e.command.every((a) => typeof a === 'string' && a !== '')) {
      fail(`${name}.command must be a non-empty array of strings (the argv; the spec path is appended)`);
    }
    let space = DEFAULT_SPACES.mlp;
    if (e.space !== undefined) {
      try {
        space = parseSearchSpace(e.space, `/${name}/space`);
      } catch (err) {
        fail((err as Error).message);
      }
    }
    if (e.params !== undefined && (e.params === null || typeof e.params !== 'object' || Array.isArray(e.params))) fail(`${name}.params must be an object of fixed params`);
    commands[name] = { command: e.command as string[], space, params: (e.params as TrainerCommand['params'] | undefined) ?? { ...DEFAULT_SPEC.params } };
  }
  return commands;
}

const INT = /^\d+$/;

/**
 * The spec of a run: `base` (the trainer's configured default) with a retrain
 * request's string `params` applied: `window_rows`, `window_from`/`window_to`
 * (ISO times), `trainer` (builtin or a name in `commands`), `algorithm`,
 * `max_trials`, `max_time_ms`, `trial_timeout_ms`, `trial_retries`, `sampler`,
 * `pruner`, `seed`, `space` (JSON search space) and `param.<name>` (a fixed
 * trainer param, JSON). Unknown keys are refused naming the key and the
 * allowed ones. Choosing a trainer or an algorithm brings its default space
 * (and a command its default params) unless the request gives its own.
 */
export function resolveSpec(base: TrainingSpec, overrides: Record<string, string> = {}, commands: Readonly<Record<string, TrainerCommand>> = {}): TrainingSpec {
  const spec: TrainingSpec = { ...base, params: { ...base.params } };
  const at = (key: string): string => `/params/${key}`;
  // The trainer first: it decides the default space and params the other keys refine.
  if (overrides.trainer !== undefined && overrides.trainer !== spec.trainer) {
    const name = overrides.trainer;
    const command = commands[name];
    if (name !== 'builtin' && !command) throw new ValidationError(at('trainer'), `must be one of ${['builtin', ...Object.keys(commands)].join(', ')}`);
    spec.trainer = name;
    spec.command = command ? [...command.command] : [];
    spec.space = command ? command.space : DEFAULT_SPACES[spec.algorithm];
    spec.params = command ? { ...command.params } : { ...DEFAULT_SPEC.params };
  }
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
        if (spec.trainer !== 'builtin') throw new ValidationError(at(key), `applies to the builtin trainer only (this run's trainer is ${spec.trainer})`);
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
      case 'trial_timeout_ms':
        spec.trialTimeoutMs = int(key, value, 1);
        break;
      case 'trial_retries':
        spec.trialRetries = int(key, value, 0);
        break;
      case 'trainer':
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
        throw new ValidationError(at(key), 'unknown override (allowed: window_rows, window_from, window_to, trainer, algorithm, max_trials, max_time_ms, trial_timeout_ms, trial_retries, seed, sampler, pruner, space, param.<name>)');
    }
  }
  return spec;
}
