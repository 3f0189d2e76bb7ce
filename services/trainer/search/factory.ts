/** Samplers and pruners by name, for config and run requests ("sampler": "tpe", "pruner": "hyperband"). */
import { ValidationError } from '../../common/index.js';
import { createGridSampler } from './grid-sampler.js';
import { createHyperbandPruner, type HyperbandOptions } from './hyperband-pruner.js';
import { createMedianPruner, type MedianPrunerOptions } from './median-pruner.js';
import { createRandomSampler } from './random-sampler.js';
import { createSuccessiveHalvingPruner, type SuccessiveHalvingOptions } from './successive-halving-pruner.js';
import { createTpeSampler, type TpeOptions } from './tpe-sampler.js';
import type { Pruner, Sampler } from './types.js';

export const SAMPLER_KINDS = ['grid', 'random', 'tpe'] as const;
export type SamplerKind = (typeof SAMPLER_KINDS)[number];

export const PRUNER_KINDS = ['none', 'median', 'successiveHalving', 'hyperband'] as const;
export type PrunerKind = (typeof PRUNER_KINDS)[number];

export type SamplerConfig = { kind: 'grid' } | { kind: 'random' } | ({ kind: 'tpe' } & TpeOptions);
export type PrunerConfig =
  | { kind: 'none' }
  | ({ kind: 'median' } & MedianPrunerOptions)
  | ({ kind: 'successiveHalving' } & SuccessiveHalvingOptions)
  | ({ kind: 'hyperband' } & HyperbandOptions);

/** Never prunes. */
export function createNopPruner(): Pruner {
  return { name: 'none', shouldPrune: () => false };
}

export function createSampler(config: SamplerConfig | SamplerKind): Sampler {
  const c = (typeof config === 'string' ? { kind: config } : config) as SamplerConfig;
  switch (c.kind) {
    case 'grid':
      return createGridSampler();
    case 'random':
      return createRandomSampler();
    case 'tpe':
      return createTpeSampler(c);
    default:
      throw new ValidationError('/sampler/kind', `must be one of ${SAMPLER_KINDS.join(', ')}, got ${JSON.stringify((c as { kind: unknown }).kind)}`);
  }
}

export function createPruner(config: PrunerConfig | PrunerKind): Pruner {
  const c = (typeof config === 'string' ? { kind: config } : config) as PrunerConfig;
  switch (c.kind) {
    case 'none':
      return createNopPruner();
    case 'median':
      return createMedianPruner(c);
    case 'successiveHalving':
      return createSuccessiveHalvingPruner(c);
    case 'hyperband':
      return createHyperbandPruner(c);
    default:
      throw new ValidationError('/pruner/kind', `must be one of ${PRUNER_KINDS.join(', ')}, got ${JSON.stringify((c as { kind: unknown }).kind)}`);
  }
}
