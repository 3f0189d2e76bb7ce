import { ValidationError } from '../../common/index.js';
import { DEFAULT_MAX_CATEGORIES } from './preprocess.js';
import type { BuiltinAlgorithm, ParamValue } from './types.js';

export const ALGORITHMS: readonly BuiltinAlgorithm[] = ['logistic', 'mlp'];

/** Training params with defaults filled in. */
export interface ResolvedParams {
  /** Adam step size. @default 0.01 */
  lr: number;
  /** Rows per mini-batch (the last batch of an epoch may be smaller). @default 32 */
  batchSize: number;
  /** Passes over train. @default 20 */
  epochs: number;
  /** L2 penalty on weights (not biases): the objective adds l2/2 * sum(w^2). @default 0 */
  l2: number;
  /** Adam first-moment decay. @default 0.9 */
  beta1: number;
  /** Adam second-moment decay. @default 0.999 */
  beta2: number;
  /** Adam denominator epsilon. @default 1e-8 */
  epsilon: number;
  /** Most frequent values one-hot encoded per categorical feature. @default 100 */
  maxCategories: number;
  /** MLP only: hidden layer widths, ReLU. Also accepted as a number (one layer) or a string such as "64,32" for categorical search spaces. @default [32] */
  hidden: number[];
  /** MLP only: inverted dropout rate on hidden activations while training. @default 0 */
  dropout: number;
  /** Binary only: the class whose probability is the score. @default the second class in sorted order */
  positiveClass: string | undefined;
}

const COMMON = ['lr', 'batchSize', 'epochs', 'l2', 'beta1', 'beta2', 'epsilon', 'maxCategories', 'positiveClass'] as const;
const ALLOWED: Record<BuiltinAlgorithm, readonly string[]> = {
  logistic: COMMON,
  mlp: [...COMMON, 'hidden', 'dropout'],
};

type NumberRule = { min: number; minExclusive?: boolean; max: number; maxExclusive?: boolean; integer?: boolean };
const NUMBER_RULES: Record<string, NumberRule> = {
  lr: { min: 0, minExclusive: true, max: 10 },
  batchSize: { min: 1, max: 1_000_000, integer: true },
  epochs: { min: 1, max: 100_000, integer: true },
  l2: { min: 0, max: 1e6 },
  beta1: { min: 0, max: 1, maxExclusive: true },
  beta2: { min: 0, max: 1, maxExclusive: true },
  epsilon: { min: 0, minExclusive: true, max: 1 },
  maxCategories: { min: 1, max: 100_000, integer: true },
  dropout: { min: 0, max: 1, maxExclusive: true },
};
const MAX_HIDDEN_WIDTH = 4096;
const MAX_HIDDEN_LAYERS = 16;

export function checkAlgorithm(algorithm: unknown): BuiltinAlgorithm {
  if (typeof algorithm !== 'string' || !(ALGORITHMS as readonly string[]).includes(algorithm)) {
    throw new ValidationError('/algorithm', `${JSON.stringify(algorithm)} is not allowed (allowed: ${ALGORITHMS.join(', ')})`);
  }
  return algorithm as BuiltinAlgorithm;
}

function checkNumber(name: string, value: unknown): number {
  const rule = NUMBER_RULES[name]!;
  const range = `${rule.minExclusive ? '>' : '>='} ${rule.min} and ${rule.maxExclusive ? '<' : '<='} ${rule.max}`;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.minExclusive ? value > rule.min : value >= rule.min) &&
    (rule.maxExclusive ? value < rule.max : value <= rule.max) &&
    (!rule.integer || Number.isInteger(value));
  if (!ok) throw new ValidationError(`/params/${name}`, `must be ${rule.integer ? 'an integer' : 'a number'} ${range} (got ${JSON.stringify(value)})`);
  return value;
}

function checkHidden(value: unknown): number[] {
  const layers =
    typeof value === 'number' ? [value] : typeof value === 'string' ? value.split(',').map((s) => (s.trim() === '' ? NaN : Number(s))) : value;
  const ok =
    Array.isArray(layers) &&
    layers.length >= 1 &&
    layers.length <= MAX_HIDDEN_LAYERS &&
    layers.every((w) => typeof w === 'number' && Number.isInteger(w) && w >= 1 && w <= MAX_HIDDEN_WIDTH);
  if (!ok) {
    throw new ValidationError(
      '/params/hidden',
      `must be 1 to ${MAX_HIDDEN_LAYERS} layer widths, integers from 1 to ${MAX_HIDDEN_WIDTH}, as an array, a number or a string such as "64,32" (got ${JSON.stringify(value)})`,
    );
  }
  return [...(layers as number[])];
}

/** Checks params against the algorithm (unknown names, types, ranges) and fills in defaults. */
export function resolveParams(algorithm: BuiltinAlgorithm, params: Record<string, ParamValue>): ResolvedParams {
  if (params === null || typeof params !== 'object' || Array.isArray(params)) throw new ValidationError('/params', 'must be an object');
  const allowed = ALLOWED[algorithm];
  for (const name of Object.keys(params)) {
    if (!allowed.includes(name)) throw new ValidationError(`/params/${name}`, `unknown param for ${algorithm} (allowed: ${allowed.join(', ')})`);
  }
  const num = (name: string, fallback: number): number => (params[name] === undefined ? fallback : checkNumber(name, params[name]));
  const positiveClass = params.positiveClass;
  if (positiveClass !== undefined && (typeof positiveClass !== 'string' || positiveClass === '')) {
    throw new ValidationError('/params/positiveClass', `must be a non-empty string naming a class (got ${JSON.stringify(positiveClass)})`);
  }
  return {
    lr: num('lr', 0.01),
    batchSize: num('batchSize', 32),
    epochs: num('epochs', 20),
    l2: num('l2', 0),
    beta1: num('beta1', 0.9),
    beta2: num('beta2', 0.999),
    epsilon: num('epsilon', 1e-8),
    maxCategories: num('maxCategories', DEFAULT_MAX_CATEGORIES),
    hidden: algorithm === 'mlp' ? (params.hidden === undefined ? [32] : checkHidden(params.hidden)) : [],
    dropout: algorithm === 'mlp' ? num('dropout', 0) : 0,
    positiveClass,
  };
}

/** The params as recorded in the artifact: every value explicit, only those the algorithm takes. */
export function recordedParams(algorithm: BuiltinAlgorithm, p: ResolvedParams): Record<string, ParamValue> {
  const out: Record<string, ParamValue> = {
    lr: p.lr, batchSize: p.batchSize, epochs: p.epochs, l2: p.l2, beta1: p.beta1, beta2: p.beta2, epsilon: p.epsilon, maxCategories: p.maxCategories,
  };
  if (algorithm === 'mlp') {
    out.hidden = [...p.hidden];
    out.dropout = p.dropout;
  }
  if (p.positiveClass !== undefined) out.positiveClass = p.positiveClass;
  return out;
}

/** Seeds are unsigned 32-bit integers: that is all the PRNG's state holds, so larger ones would silently collide. */
export function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ValidationError('/seed', `must be an integer from 0 to 4294967295 (got ${JSON.stringify(seed)})`);
  }
  return seed;
}
