/**
 * One parameter's Parzen estimator for TPE: a weighted mixture with one
 * kernel per observation plus a prior kernel. Follows Optuna's
 * optuna/samplers/_tpe/parzen_estimator.py (v4) with its defaults:
 * prior_weight 1.0, consider_magic_clip true, consider_endpoints false.
 *
 * Numeric parameters get truncated-normal kernels on [low, high] (in log
 * space for logfloat). A kernel's bandwidth is the larger gap to its sorted
 * neighbours, the range bounds counting as neighbours except for the outermost
 * observations (consider_endpoints false), then clipped to
 * [(high - low) / min(100, 1 + kernels), high - low] (the magic clip). The
 * prior kernel is centred on the range with bandwidth high - low. Stepped
 * params (ints, floats with step) widen the range by step / 2 on each side and
 * use the mass of [x - step/2, x + step/2] as likelihood.
 *
 * Categorical parameters get one smoothed count vector per observation:
 * 1 on the observed choice plus prior_weight / kernels on every choice,
 * normalised; the prior kernel is uniform.
 */
import { openUniform, weightedIndex, type Rng } from './rng.js';
import type { ParamSpec, ParamValue } from './space.js';
import { logGaussMass, truncNormLogPdf, truncNormPpf } from './truncnorm.js';

export interface ParzenOptions {
  /** @default 1 */
  priorWeight: number;
  /** @default true */
  considerMagicClip: boolean;
  /** @default false */
  considerEndpoints: boolean;
}

export const DEFAULT_PARZEN_OPTIONS: Readonly<ParzenOptions> = Object.freeze({ priorWeight: 1, considerMagicClip: true, considerEndpoints: false });

const EPS = 1e-12;

export interface ParzenEstimator {
  sample(rng: Rng, count: number): ParamValue[];
  logPdf(value: ParamValue): number;
}

/**
 * Optuna's default_weights: equal weights up to 25 observations; beyond, the
 * most recent 25 keep weight 1 and older ones ramp linearly from 1/n to 1.
 * `n` observations are in trial order, oldest first.
 */
export function observationWeights(n: number): number[] {
  if (n < 25) return Array.from({ length: n }, () => 1);
  const rampLength = n - 25;
  const ramp = Array.from({ length: rampLength }, (_, i) => (rampLength === 1 ? 1 / n : 1 / n + ((1 - 1 / n) * i) / (rampLength - 1)));
  return [...ramp, ...Array.from({ length: 25 }, () => 1)];
}

function mixtureWeights(n: number, options: ParzenOptions): number[] {
  const raw = n === 0 ? [1] : [...observationWeights(n), options.priorWeight];
  const total = raw.reduce((s, w) => s + w, 0);
  return raw.map((w) => w / total);
}

function logSumExp(values: readonly number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** `observations` are the parameter's values in trial order (oldest first). */
export function createParzenEstimator(spec: ParamSpec, observations: readonly ParamValue[], options: ParzenOptions = DEFAULT_PARZEN_OPTIONS): ParzenEstimator {
  const weights = mixtureWeights(observations.length, options);
  return spec.type === 'categorical' ? categoricalEstimator(spec.choices, observations, weights, options) : numericEstimator(spec, observations as number[], weights, options);
}

function categoricalEstimator(choices: readonly ParamValue[], observations: readonly ParamValue[], weights: readonly number[], options: ParzenOptions): ParzenEstimator {
  const k = choices.length;
  let rows: number[][];
  if (observations.length === 0) {
    rows = [Array.from({ length: k }, () => 1 / k)];
  } else {
    const kernels = observations.length + 1;
    rows = Array.from({ length: kernels }, () => Array.from({ length: k }, () => options.priorWeight / kernels));
    observations.forEach((value, i) => {
      const index = choices.indexOf(value);
      if (index >= 0) rows[i]![index]! += 1;
    });
    rows = rows.map((row) => {
      const sum = row.reduce((s, w) => s + w, 0);
      return row.map((w) => w / (sum === 0 ? 1 : sum));
    });
  }
  // A mixture of categoricals is itself one categorical.
  const probabilities = Array.from({ length: k }, (_, c) => rows.reduce((s, row, i) => s + weights[i]! * row[c]!, 0));
  return {
    sample: (rng, count) => Array.from({ length: count }, () => choices[weightedIndex(rng, probabilities)]!),
    logPdf: (value) => Math.log(probabilities[choices.indexOf(value)] ?? 0),
  };
}

interface Kernel {
  mu: number;
  sigma: number;
  /** logGaussMass over the (adapted) range, standardised for this kernel. */
  logMass: number;
}

function numericEstimator(spec: Exclude<ParamSpec, { type: 'categorical' }>, observations: readonly number[], weights: readonly number[], options: ParzenOptions): ParzenEstimator {
  const isLog = spec.type === 'logfloat';
  const step = spec.type === 'int' ? (spec.step ?? 1) : spec.type === 'float' ? spec.step : undefined;
  const toInternal = (x: number): number => (isLog ? Math.log(x) : x);
  // Bounds the kernels live on: widened by half a step for discrete params.
  const low = toInternal(step === undefined ? spec.low : spec.low - step / 2);
  const high = toInternal(step === undefined ? spec.high : spec.high + step / 2);
  const range = high - low;

  const mus = observations.map(toInternal);
  const sigmas = parzenBandwidths(mus, low, high, options);
  mus.push((low + high) / 2);
  sigmas.push(range);
  const kernels: Kernel[] = mus.map((mu, i) => {
    const sigma = sigmas[i]!;
    return { mu, sigma, logMass: logGaussMass((low - mu) / sigma, (high - mu) / sigma) };
  });
  const logWeights = weights.map((w) => Math.log(w));

  const sampleOne = (rng: Rng): number => {
    const kernel = kernels[weightedIndex(rng, weights)]!;
    const z = truncNormPpf(openUniform(rng), (low - kernel.mu) / kernel.sigma, (high - kernel.mu) / kernel.sigma);
    const internal = kernel.mu + kernel.sigma * z;
    const x = isLog ? Math.exp(internal) : internal;
    if (step === undefined) return Math.min(spec.high, Math.max(spec.low, x));
    // Round to the grid (Optuna: low + round((x - low) / step) * step, clipped).
    const k = Math.round((x - spec.low) / step);
    return Math.min(spec.high, Math.max(spec.low, spec.low + k * step));
  };

  const logPdf = (value: ParamValue): number => {
    const x = value as number;
    const terms = kernels.map((kernel, i) => {
      if (step === undefined) {
        const z = (toInternal(x) - kernel.mu) / kernel.sigma;
        return logWeights[i]! + truncNormLogPdf(z, (low - kernel.mu) / kernel.sigma, (high - kernel.mu) / kernel.sigma, kernel.logMass) - Math.log(kernel.sigma);
      }
      const left = (toInternal(x - step / 2) - kernel.mu) / kernel.sigma;
      const right = (toInternal(x + step / 2) - kernel.mu) / kernel.sigma;
      return logWeights[i]! + logGaussMass(left, right) - kernel.logMass;
    });
    return logSumExp(terms);
  };

  return { sample: (rng, count) => Array.from({ length: count }, () => sampleOne(rng)), logPdf };
}

/** Bandwidth per observation (same order as `mus`), before the prior kernel is added. */
export function parzenBandwidths(mus: readonly number[], low: number, high: number, options: ParzenOptions): number[] {
  const n = mus.length;
  if (n === 0) return [];
  const order = mus.map((_, i) => i).sort((i, j) => mus[i]! - mus[j]! || i - j);
  const sorted = [low, ...order.map((i) => mus[i]!), high];
  const sortedSigmas = Array.from({ length: n }, (_, i) => Math.max(sorted[i + 1]! - sorted[i]!, sorted[i + 2]! - sorted[i + 1]!));
  if (!options.considerEndpoints && n >= 2) {
    // The outermost observations look only inward, not at the range bounds.
    sortedSigmas[0] = sorted[2]! - sorted[1]!;
    sortedSigmas[n - 1] = sorted[n]! - sorted[n - 1]!;
  }
  const maxSigma = high - low;
  const minSigma = options.considerMagicClip ? (high - low) / Math.min(100, 1 + (n + 1)) : EPS;
  const sigmas = new Array<number>(n);
  order.forEach((original, rank) => {
    sigmas[original] = Math.min(maxSigma, Math.max(minSigma, sortedSigmas[rank]!));
  });
  return sigmas;
}
