/**
 * Public API of the builtin trainers: softmax regression and a small MLP in
 * TypeScript (no native dependency), deterministic for a seed, producing a
 * versioned JSON artifact that predicts from itself alone.
 */
export { trainBuiltin } from './train.js';
export type { BuiltinTrainingSpec, BuiltinTrainingResult, EpochDecision } from './train.js';
export { compileModel, predict, predictProba } from './predict.js';
export { permutationImportance } from './importance.js';
export type { BuiltinModel, Prediction } from './predict.js';
export { validateArtifact, ARTIFACT_FORMAT, ARTIFACT_VERSION } from './artifact.js';
export { fitPreprocessor, transform, featureNames, inputWidth, DEFAULT_MAX_CATEGORIES } from './preprocess.js';
export type { FittedPreprocessor, FitPreprocessorOptions, Matrix } from './preprocess.js';
export { resolveParams, ALGORITHMS } from './params.js';
export type { ResolvedParams } from './params.js';
export { logLoss, accuracy, rocAuc, argmaxRow, LOG_LOSS_EPSILON } from './metrics.js';
export { readTabularCsv, parseTabularCsv, writeTabularCsv, formatTabularCsv } from './csv.js';
export type { TabularCsv } from './csv.js';
export { mulberry32 } from './random.js';
export type {
  TabularRow,
  TabularRows,
  FeatureRow,
  BuiltinAlgorithm,
  ParamValue,
  EpochMetrics,
  EpochMetricValues,
  NumericFeature,
  CategoricalFeature,
  Preprocessing,
  ArtifactLayer,
  ModelArtifact,
} from './types.js';
