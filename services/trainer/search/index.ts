/**
 * Public API of services/trainer/search: hyperparameter search spaces,
 * samplers (grid, random, TPE), pruners (median, successive halving,
 * Hyperband) and the study that runs trials in parallel under trial and time
 * budgets. Pure TypeScript, deterministic for a seed.
 */
export { parseSearchSpace, PARAM_TYPES } from './space.js';
export type { SearchSpace, ParamSpec, FloatParam, IntParam, LogFloatParam, CategoricalParam, CategoricalChoice, ParamValue, Params } from './space.js';
export { createRng } from './rng.js';
export type { Rng } from './rng.js';
export { bestTrial, compareValues } from './types.js';
export type { Direction, TrialState, TrialRecord, Sampler, Pruner, PrunerTrial } from './types.js';
export { createGridSampler, enumerateGrid } from './grid-sampler.js';
export { createRandomSampler } from './random-sampler.js';
export { createTpeSampler, defaultGamma } from './tpe-sampler.js';
export type { TpeOptions } from './tpe-sampler.js';
export { createMedianPruner, createPercentilePruner } from './median-pruner.js';
export type { MedianPrunerOptions } from './median-pruner.js';
export { createSuccessiveHalvingPruner } from './successive-halving-pruner.js';
export type { SuccessiveHalvingOptions } from './successive-halving-pruner.js';
export { createHyperbandPruner, hyperbandBudgets } from './hyperband-pruner.js';
export type { HyperbandOptions, HyperbandPruner } from './hyperband-pruner.js';
export { createNopPruner, createSampler, createPruner, SAMPLER_KINDS, PRUNER_KINDS } from './factory.js';
export type { SamplerKind, PrunerKind, SamplerConfig, PrunerConfig } from './factory.js';
export { runStudy, trialSeed } from './study.js';
export type { StudyOptions, StudyResult, TrialHandle, StopReason } from './study.js';
export { TrialPruned } from '../../common/index.js';
export { computeProgress, formatProgress } from './progress.js';
export type { StudyProgress } from './progress.js';
