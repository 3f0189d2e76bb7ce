import { ValidationError } from '../common/index.js';
import type { Deployment } from './deployment.js';
import { isObject } from './instances.js';
import type { InstanceResult } from './types.js';
import { ID_INPUTS } from './v2-inputs.js';

/** One v1 prediction: what answered and what it said. */
export interface V1Prediction {
  event_id: string;
  label: string;
  score: number;
  probabilities: Record<string, number>;
  model_version: string;
  variant: 'champion' | 'canary';
}

export function v1Predictions(results: readonly InstanceResult[]): { predictions: V1Prediction[] } {
  return {
    predictions: results.map((r) => {
      const probabilities: Record<string, number> = {};
      r.classes.forEach((c, k) => (probabilities[c] = r.probabilities[k]!));
      return { event_id: r.eventId, label: r.label, score: r.score, probabilities, model_version: r.version, variant: r.variant };
    }),
  };
}

export interface V2Tensor {
  name: string;
  datatype: 'BYTES' | 'FP64';
  shape: number[];
  data: (string | number)[];
  parameters?: Record<string, string | number | boolean>;
}

export const V2_OUTPUTS = ['label', 'score', 'probabilities', 'model_version', 'variant', 'event_id'] as const;

/** Class columns of `probabilities`: the first result's classes, then any a variant adds (a canary may know a new class). */
function classesOf(results: readonly InstanceResult[]): string[] {
  const classes: string[] = [];
  for (const r of results) for (const c of r.classes) if (!classes.includes(c)) classes.push(c);
  return classes;
}

/** The outputs a v2 request asked for (`outputs: [{"name": ...}]`), every one when it names none. */
export function requestedOutputs(outputs: unknown): Set<string> {
  if (outputs === undefined || outputs === null) return new Set(V2_OUTPUTS);
  if (!Array.isArray(outputs)) throw new ValidationError('/outputs', 'must be an array of {"name": ...}');
  return new Set(
    outputs.map((o, i) => {
      const name = isObject(o) ? o.name : undefined;
      if (typeof name !== 'string' || !(V2_OUTPUTS as readonly string[]).includes(name)) throw new ValidationError(`/outputs/${i}/name`, `must be one of ${V2_OUTPUTS.join(', ')}`);
      return name;
    }),
  );
}

/**
 * The v2 outputs, one tensor per field with one row per instance;
 * `probabilities` is [n, classes] with the class names in its parameters.
 */
export function v2Outputs(results: readonly InstanceResult[], wanted: ReadonlySet<string>): V2Tensor[] {
  const n = results.length;
  const classes = classesOf(results);
  const probabilities: number[] = [];
  for (const r of results) for (const c of classes) probabilities.push(r.probabilities[r.classes.indexOf(c)] ?? 0);
  const all: V2Tensor[] = [
    { name: 'label', datatype: 'BYTES', shape: [n], data: results.map((r) => r.label) },
    { name: 'score', datatype: 'FP64', shape: [n], data: results.map((r) => r.score) },
    { name: 'probabilities', datatype: 'FP64', shape: [n, classes.length], data: probabilities, parameters: { classes: JSON.stringify(classes) } },
    { name: 'model_version', datatype: 'BYTES', shape: [n], data: results.map((r) => r.version) },
    { name: 'variant', datatype: 'BYTES', shape: [n], data: results.map((r) => r.variant) },
    { name: 'event_id', datatype: 'BYTES', shape: [n], data: results.map((r) => r.eventId) },
  ];
  return all.filter((t) => wanted.has(t.name));
}

/** The response's model_version: the one version that answered every instance, else the champion's (per-instance versions are in the outputs). */
export function answeringVersion(results: readonly InstanceResult[], deployment: Deployment): string {
  const first = results[0]?.version;
  return first !== undefined && results.every((r) => r.version === first) ? first : deployment.champion.version;
}

/** `GET /v2/models/<name>`: the champion's features as inputs (BYTES for categorical ones), and the outputs. */
export function v2Metadata(deployment: Deployment): Record<string, unknown> {
  const { preprocessing, classes, format } = deployment.champion.scorer;
  const versions = [deployment.champion.version, deployment.canary?.version.version, deployment.shadow?.version.version].filter((v): v is string => v !== undefined);
  return {
    name: deployment.model,
    versions,
    platform: format === 'onnx' ? 'onnxruntime_onnx' : 'driftloop_builtin',
    inputs: [
      ...preprocessing.numeric.map((f) => ({ name: f.name, datatype: 'FP64', shape: [-1] })),
      ...preprocessing.categorical.map((f) => ({ name: f.name, datatype: 'BYTES', shape: [-1] })),
      ...Object.keys(ID_INPUTS).map((name) => ({ name, datatype: 'BYTES', shape: [-1] })),
    ],
    outputs: [
      { name: 'label', datatype: 'BYTES', shape: [-1] },
      { name: 'score', datatype: 'FP64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP64', shape: [-1, classes.length] },
      { name: 'model_version', datatype: 'BYTES', shape: [-1] },
      { name: 'variant', datatype: 'BYTES', shape: [-1] },
      { name: 'event_id', datatype: 'BYTES', shape: [-1] },
    ],
    parameters: {
      classes: JSON.stringify(classes),
      positive_class: deployment.champion.scorer.positiveClass ?? '',
      canary_weight: deployment.canary?.weight ?? 0,
    },
  };
}
