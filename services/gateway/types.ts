import type { FeatureRow, Preprocessing } from '../trainer/builtin/index.js';

/** Which traffic role answered: the champion, the canary (a share of traffic), or the shadow (mirrored, never answers). */
export type Variant = 'champion' | 'canary' | 'shadow';

/** How the model_versions row says its artifacts are to be served. */
export const ARTIFACT_FORMATS = ['driftloop.builtin', 'onnx'] as const;
export type ArtifactFormat = (typeof ARTIFACT_FORMATS)[number];

/** One model version as the release tables describe it (the newest revision of its model_versions row). */
export interface VersionRecord {
  model: string;
  version: string;
  /** The file whose sha256 is `artifactSha256` (the registry's model.json). */
  artifactUri: string;
  artifactSha256: string;
  artifactFormat: string;
  /** name -> path of every stored artifact: `model` (model.json), `onnx` (model.onnx), ... */
  artifacts: Record<string, string>;
}

/** The active rollout of a model, when there is one. */
export interface RolloutPlan {
  rolloutId: string;
  phase: 'shadow' | 'canary';
  state: string;
  /** Canary: the share of traffic the candidate answers, 0..1. Shadow: unused. */
  weight: number;
  version: VersionRecord;
}

/** What the release tables say a model should serve now. */
export interface ModelPlan {
  model: string;
  /** Null for a model with versions but no champion alias yet. */
  champion: VersionRecord | null;
  rollout: RolloutPlan | null;
}

/** The most probable class and the score of each row, and every class probability. */
export interface Scores {
  /** Class names, in the order of each row's probabilities. */
  classes: readonly string[];
  /** rows x classes, row-major. */
  probabilities: Float64Array;
  labels: string[];
  /** Binary: P(positive class). Multi-class: P(label). */
  scores: Float64Array;
}

/** A loaded model's predictor, whatever runs it. */
export interface Scorer {
  readonly format: ArtifactFormat;
  readonly classes: readonly string[];
  readonly positiveClass: string | null;
  /** The features the model reads (from model.json, for both formats). */
  readonly preprocessing: Preprocessing;
  score(rows: readonly FeatureRow[]): Promise<Scores>;
  /** Frees native resources (an ONNX session); the scorer is not used after. */
  close(): Promise<void>;
}

/** One row of a prediction request, validated. */
export interface Instance {
  eventId: string;
  entityId: string | null;
  features: FeatureRow;
}

/** What one variant answered for one instance. */
export interface InstanceResult {
  eventId: string;
  entityId: string | null;
  variant: Exclude<Variant, 'shadow'>;
  version: string;
  label: string;
  score: number;
  classes: readonly string[];
  probabilities: Float64Array;
}

/** How the model's preprocessing types each feature it reads. */
export type FeatureKinds = ReadonlyMap<string, 'numeric' | 'categorical'>;
