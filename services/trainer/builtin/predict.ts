import { validateArtifact } from './artifact.js';
import { argmaxRow } from './metrics.js';
import { fromArtifactLayer, predictMatrix } from './network.js';
import { transform } from './preprocess.js';
import type { FeatureRow, ModelArtifact } from './types.js';

export interface Prediction {
  /** The most probable class (the first in sorted order on a tie). */
  label: string;
  /** Binary: P(positive class). Multi-class: P(label). */
  score: number;
}

/** A model ready to serve: the artifact checked once and its weights unpacked. */
export interface BuiltinModel {
  readonly artifact: ModelArtifact;
  /** One row per input row, one probability per class in `artifact.classes` order. */
  predictProba(rows: readonly FeatureRow[]): number[][];
  predict(rows: readonly FeatureRow[]): Prediction[];
}

/**
 * Builds a predictor from the artifact alone (what the gateway serves), so a
 * model predicts the same from its JSON as it did when trained. Throws
 * ValidationError for a document that is not a valid artifact.
 */
export function compileModel(json: unknown): BuiltinModel {
  const artifact = validateArtifact(json);
  const layers = artifact.layers.map(fromArtifactLayer);
  const classCount = artifact.classes.length;
  const positiveIndex = artifact.positive_class === null ? -1 : artifact.classes.indexOf(artifact.positive_class);
  const probabilities = (rows: readonly FeatureRow[]): Float64Array =>
    predictMatrix(layers, transform(artifact.preprocessing, rows));
  return {
    artifact,
    predictProba(rows) {
      const p = probabilities(rows);
      return Array.from({ length: rows.length }, (_, i) => Array.from(p.subarray(i * classCount, (i + 1) * classCount)));
    },
    predict(rows) {
      const p = probabilities(rows);
      return Array.from({ length: rows.length }, (_, i) => {
        const best = argmaxRow(p, classCount, i);
        return { label: artifact.classes[best]!, score: p[i * classCount + (positiveIndex >= 0 ? positiveIndex : best)]! };
      });
    },
  };
}

/** Class probabilities from an artifact; compile once with compileModel when scoring repeatedly. */
export function predictProba(artifact: ModelArtifact, rows: readonly FeatureRow[]): number[][] {
  return compileModel(artifact).predictProba(rows);
}

/** Labels and scores from an artifact; compile once with compileModel when scoring repeatedly. */
export function predict(artifact: ModelArtifact, rows: readonly FeatureRow[]): Prediction[] {
  return compileModel(artifact).predict(rows);
}
