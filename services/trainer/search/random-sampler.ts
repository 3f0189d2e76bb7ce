/**
 * Independent uniform sampling, as Optuna's RandomSampler: floats uniform on
 * [low, high], stepped floats and ints uniform over their grid values,
 * logfloats uniform in log space, categoricals uniform over the choices.
 */
import { randomIndex, uniform, type Rng } from './rng.js';
import { stepCount, type ParamSpec, type ParamValue, type Params, type SearchSpace } from './space.js';
import type { Sampler } from './types.js';

export function sampleUniform(spec: ParamSpec, rng: Rng): ParamValue {
  switch (spec.type) {
    case 'categorical':
      return spec.choices[randomIndex(rng, spec.choices.length)]!;
    case 'logfloat':
      return Math.min(spec.high, Math.max(spec.low, Math.exp(uniform(rng, Math.log(spec.low), Math.log(spec.high)))));
    case 'int':
    case 'float': {
      const step = spec.type === 'int' ? (spec.step ?? 1) : spec.step;
      if (step === undefined) return uniform(rng, spec.low, spec.high);
      const n = stepCount(spec.low, spec.high, step);
      const k = randomIndex(rng, n + 1);
      return k === n ? spec.high : spec.low + k * step;
    }
  }
}

/** Params for every parameter of `space`, drawn in key order (so a seed fixes the sequence). */
export function sampleSpaceUniform(space: SearchSpace, rng: Rng): Params {
  const params: Params = {};
  for (const [name, spec] of Object.entries(space)) params[name] = sampleUniform(spec, rng);
  return params;
}

export function createRandomSampler(): Sampler {
  return {
    name: 'random',
    sample: (space, _history, rng) => sampleSpaceUniform(space, rng),
  };
}
