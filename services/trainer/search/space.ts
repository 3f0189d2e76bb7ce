/**
 * Search spaces: what a trial's hyperparameters may be. Parsed and validated
 * once (from JSON config or a request), then frozen; samplers trust them.
 */
import { ValidationError } from '../../common/index.js';

export type CategoricalChoice = string | number | boolean;

/** Uniform on [low, high]; with `step`, on the grid low, low + step, ..., high. */
export interface FloatParam {
  type: 'float';
  low: number;
  high: number;
  step?: number;
  /** Points the grid sampler takes between low and high (inclusive) when there is no `step`. */
  gridPoints?: number;
}

/** Integers low, low + step, ..., high. */
export interface IntParam {
  type: 'int';
  low: number;
  high: number;
  /** @default 1 */
  step?: number;
}

/** Log-uniform on [low, high], low > 0: each decade equally likely (learning rates, weight decay). */
export interface LogFloatParam {
  type: 'logfloat';
  low: number;
  high: number;
  /** Points the grid sampler takes, geometrically spaced from low to high (inclusive). */
  gridPoints?: number;
}

export interface CategoricalParam {
  type: 'categorical';
  choices: CategoricalChoice[];
}

export type ParamSpec = FloatParam | IntParam | LogFloatParam | CategoricalParam;
export type SearchSpace = Record<string, ParamSpec>;
export type ParamValue = number | CategoricalChoice;
export type Params = Record<string, ParamValue>;

export const PARAM_TYPES = ['float', 'int', 'logfloat', 'categorical'] as const;

const ALLOWED_KEYS: Record<ParamSpec['type'], readonly string[]> = {
  float: ['type', 'low', 'high', 'step', 'gridPoints'],
  int: ['type', 'low', 'high', 'step'],
  logfloat: ['type', 'low', 'high', 'gridPoints'],
  categorical: ['type', 'choices'],
};

/** Relative tolerance for "high - low is a whole number of steps" with float steps like 0.1. */
const STEP_TOLERANCE = 1e-9;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ValidationError(path, `must be a finite number, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

function integer(value: unknown, path: string): number {
  const n = finiteNumber(value, path);
  if (!Number.isInteger(n)) throw new ValidationError(path, `must be an integer, got ${n}`);
  return n;
}

/** Number of steps between low and high; throws when the range is not a whole number of steps. */
export function stepCount(low: number, high: number, step: number): number {
  const k = Math.round((high - low) / step);
  if (Math.abs(k * step - (high - low)) > STEP_TOLERANCE * Math.max(1, Math.abs(high - low))) return -1;
  return k;
}

function parseStep(raw: Record<string, unknown>, path: string, low: number, high: number, isInt: boolean): number | undefined {
  if (raw.step === undefined) return undefined;
  const step = isInt ? integer(raw.step, `${path}/step`) : finiteNumber(raw.step, `${path}/step`);
  if (step <= 0) throw new ValidationError(`${path}/step`, `must be > 0, got ${step}`);
  if (stepCount(low, high, step) < 0) {
    throw new ValidationError(`${path}/step`, `high - low (${high - low}) must be a whole number of steps of ${step}`);
  }
  return step;
}

function parseGridPoints(raw: Record<string, unknown>, path: string): number | undefined {
  if (raw.gridPoints === undefined) return undefined;
  const n = integer(raw.gridPoints, `${path}/gridPoints`);
  if (n < 2) throw new ValidationError(`${path}/gridPoints`, `must be >= 2, got ${n}`);
  return n;
}

function parseParam(raw: unknown, path: string): ParamSpec {
  if (!isObject(raw)) throw new ValidationError(path, `must be an object with "type" one of ${PARAM_TYPES.join(', ')}`);
  const type = raw.type;
  if (typeof type !== 'string' || !(PARAM_TYPES as readonly string[]).includes(type)) {
    throw new ValidationError(`${path}/type`, `must be one of ${PARAM_TYPES.join(', ')}, got ${JSON.stringify(type) ?? String(type)}`);
  }
  const kind = type as ParamSpec['type'];
  for (const key of Object.keys(raw)) {
    if (!ALLOWED_KEYS[kind].includes(key)) {
      throw new ValidationError(`${path}/${key}`, `unknown key for a ${kind} parameter; allowed: ${ALLOWED_KEYS[kind].join(', ')}`);
    }
  }

  if (kind === 'categorical') {
    const choices = raw.choices;
    if (!Array.isArray(choices) || choices.length === 0) {
      throw new ValidationError(`${path}/choices`, 'must be a non-empty array of strings, numbers or booleans');
    }
    choices.forEach((choice: unknown, i) => {
      const ok = typeof choice === 'string' || typeof choice === 'boolean' || (typeof choice === 'number' && Number.isFinite(choice));
      if (!ok) throw new ValidationError(`${path}/choices/${i}`, `must be a string, finite number or boolean, got ${JSON.stringify(choice) ?? String(choice)}`);
      if (choices.indexOf(choice) !== i) throw new ValidationError(`${path}/choices/${i}`, `duplicates choice ${JSON.stringify(choice)}`);
    });
    return Object.freeze({ type: 'categorical', choices: Object.freeze([...(choices as CategoricalChoice[])]) as CategoricalChoice[] });
  }

  const isInt = kind === 'int';
  const low = isInt ? integer(raw.low, `${path}/low`) : finiteNumber(raw.low, `${path}/low`);
  const high = isInt ? integer(raw.high, `${path}/high`) : finiteNumber(raw.high, `${path}/high`);
  if (kind === 'logfloat' && low <= 0) throw new ValidationError(`${path}/low`, `must be > 0 for a log-uniform parameter, got ${low}`);
  if (!(low < high)) throw new ValidationError(`${path}/high`, `must be greater than low (${low}), got ${high}`);

  if (kind === 'int') {
    const step = parseStep(raw, path, low, high, true);
    return Object.freeze(step === undefined ? { type: 'int', low, high } : { type: 'int', low, high, step });
  }
  const gridPoints = parseGridPoints(raw, path);
  if (kind === 'logfloat') {
    return Object.freeze({ type: 'logfloat', low, high, ...(gridPoints === undefined ? {} : { gridPoints }) });
  }
  const step = parseStep(raw, path, low, high, false);
  return Object.freeze({
    type: 'float',
    low,
    high,
    ...(step === undefined ? {} : { step }),
    ...(gridPoints === undefined ? {} : { gridPoints }),
  });
}

/**
 * Validates a search space from JSON, e.g.
 * `{ "lr": { "type": "logfloat", "low": 1e-4, "high": 1e-1 }, "layers": { "type": "int", "low": 1, "high": 4 } }`.
 * Errors are `ValidationError`s whose path points at the bad field (`${path}/lr/low`)
 * and whose message names what is allowed. The result is frozen.
 */
export function parseSearchSpace(json: unknown, path = ''): SearchSpace {
  if (!isObject(json)) throw new ValidationError(path, 'must be an object mapping parameter names to parameter specs');
  const names = Object.keys(json);
  if (names.length === 0) throw new ValidationError(path, 'must define at least one parameter');
  const space: SearchSpace = {};
  for (const name of names) space[name] = parseParam(json[name], `${path}/${name}`);
  return Object.freeze(space);
}

/** Whether `value` is a legal value of `spec` (used to read back stored trials). */
export function containsValue(spec: ParamSpec, value: unknown): boolean {
  if (spec.type === 'categorical') return spec.choices.includes(value as CategoricalChoice);
  if (typeof value !== 'number' || value < spec.low || value > spec.high) return false;
  if (spec.type === 'int') return Number.isInteger(value) && (value - spec.low) % (spec.step ?? 1) === 0;
  if (spec.type === 'float' && spec.step !== undefined) return stepCount(spec.low, value, spec.step) >= 0;
  return true;
}
