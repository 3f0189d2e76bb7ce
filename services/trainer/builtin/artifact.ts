import { readFileSync } from 'node:fs';
import { ValidationError } from '../../common/index.js';
import { inputWidth } from './preprocess.js';
import { ALGORITHMS } from './params.js';
import type { ArtifactLayer, CategoricalFeature, ModelArtifact, NumericFeature } from './types.js';

export const ARTIFACT_FORMAT = 'driftloop.builtin';
/** Bumped on any change a reader of an older version would misread. */
export const ARTIFACT_VERSION = 1;

/** `driftloop <version>` from package.json, for the artifact's created_with. */
export function createdWith(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return `driftloop ${typeof pkg.version === 'string' ? pkg.version : 'unknown'}`;
}

type Json = Record<string, unknown>;

const describe = (value: unknown): string => (Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value);

function object(value: unknown, path: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new ValidationError(path, `must be an object (got ${describe(value)})`);
  return value as Json;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ValidationError(path, `must be an array (got ${describe(value)})`);
  return value;
}

function string(value: unknown, path: string): string {
  if (typeof value !== 'string') throw new ValidationError(path, `must be a string (got ${describe(value)})`);
  return value;
}

function integer(value: unknown, path: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw new ValidationError(path, `must be an integer >= ${min} (got ${JSON.stringify(value)})`);
  return value;
}

function finiteNumbers(value: unknown, path: string, length: number): number[] {
  const values = array(value, path);
  if (values.length !== length) throw new ValidationError(path, `must hold ${length} numbers (holds ${values.length})`);
  for (let i = 0; i < values.length; i++) {
    if (typeof values[i] !== 'number' || !Number.isFinite(values[i])) throw new ValidationError(`${path}/${i}`, `must be a finite number (got ${JSON.stringify(values[i])})`);
  }
  return values as number[];
}

function numericFeature(value: unknown, path: string): NumericFeature {
  const f = object(value, path);
  const name = string(f.name, `${path}/name`);
  if (typeof f.mean !== 'number' || !Number.isFinite(f.mean)) throw new ValidationError(`${path}/mean`, `must be a finite number (got ${JSON.stringify(f.mean)})`);
  // 0 marks a feature constant in train (it contributes nothing); older artifacts hold only positive stds.
  if (typeof f.std !== 'number' || !Number.isFinite(f.std) || f.std < 0) throw new ValidationError(`${path}/std`, `must be a finite number >= 0 (got ${JSON.stringify(f.std)})`);
  return { name, mean: f.mean, std: f.std };
}

function categoricalFeature(value: unknown, path: string): CategoricalFeature {
  const f = object(value, path);
  const name = string(f.name, `${path}/name`);
  const categories = array(f.categories, `${path}/categories`).map((c, i) => string(c, `${path}/categories/${i}`));
  if (new Set(categories).size !== categories.length) throw new ValidationError(`${path}/categories`, 'must not repeat a value');
  if (typeof f.other !== 'boolean') throw new ValidationError(`${path}/other`, `must be true or false (got ${JSON.stringify(f.other)})`);
  return { name, categories, other: f.other };
}

function layer(value: unknown, path: string): ArtifactLayer {
  const l = object(value, path);
  const rows = integer(l.rows, `${path}/rows`, 1);
  const cols = integer(l.cols, `${path}/cols`, 1);
  if (l.activation !== 'relu' && l.activation !== 'softmax') {
    throw new ValidationError(`${path}/activation`, `${JSON.stringify(l.activation)} is not allowed (allowed: relu, softmax)`);
  }
  return { weights: finiteNumbers(l.weights, `${path}/weights`, rows * cols), bias: finiteNumbers(l.bias, `${path}/bias`, cols), rows, cols, activation: l.activation };
}

/**
 * Checks that `json` is a builtin model artifact this version can serve:
 * format and version, classes, preprocessing, and layers whose shapes chain
 * from the input width to one output per class. Errors name the path
 * (`/layers/1/weights`). Returns the document typed.
 */
export function validateArtifact(json: unknown): ModelArtifact {
  const doc = object(json, '');
  if (doc.format !== ARTIFACT_FORMAT) throw new ValidationError('/format', `must be ${JSON.stringify(ARTIFACT_FORMAT)} (got ${JSON.stringify(doc.format)})`);
  if (doc.version !== ARTIFACT_VERSION) throw new ValidationError('/version', `unsupported version ${JSON.stringify(doc.version)} (supported: ${ARTIFACT_VERSION})`);
  if (typeof doc.algorithm !== 'string' || !(ALGORITHMS as readonly string[]).includes(doc.algorithm)) {
    throw new ValidationError('/algorithm', `${JSON.stringify(doc.algorithm)} is not allowed (allowed: ${ALGORITHMS.join(', ')})`);
  }
  const classes = array(doc.classes, '/classes').map((c, i) => string(c, `/classes/${i}`));
  if (classes.length < 2) throw new ValidationError('/classes', `must name at least 2 classes (names ${classes.length})`);
  if (new Set(classes).size !== classes.length) throw new ValidationError('/classes', 'must not repeat a class');
  const positive = doc.positive_class;
  if (classes.length === 2 ? typeof positive !== 'string' || !classes.includes(positive) : positive !== null) {
    throw new ValidationError('/positive_class', classes.length === 2 ? `must be one of the classes (${classes.join(', ')})` : 'must be null for more than 2 classes');
  }
  const pre = object(doc.preprocessing, '/preprocessing');
  const numeric = array(pre.numeric, '/preprocessing/numeric').map((f, i) => numericFeature(f, `/preprocessing/numeric/${i}`));
  const categorical = array(pre.categorical, '/preprocessing/categorical').map((f, i) => categoricalFeature(f, `/preprocessing/categorical/${i}`));
  const preprocessing = { numeric, categorical };

  const layers = array(doc.layers, '/layers').map((l, i) => layer(l, `/layers/${i}`));
  if (layers.length === 0) throw new ValidationError('/layers', 'must hold at least one layer');
  let width = inputWidth(preprocessing);
  layers.forEach((l, i) => {
    if (l.rows !== width) throw new ValidationError(`/layers/${i}/rows`, `must be ${width}, the width of ${i === 0 ? 'the preprocessed input' : `layer ${i - 1}'s output`} (got ${l.rows})`);
    const isLast = i === layers.length - 1;
    if (l.activation !== (isLast ? 'softmax' : 'relu')) throw new ValidationError(`/layers/${i}/activation`, `must be ${isLast ? 'softmax on the output layer' : 'relu on a hidden layer'}`);
    width = l.cols;
  });
  if (width !== classes.length) throw new ValidationError(`/layers/${layers.length - 1}/cols`, `must be ${classes.length}, one per class (got ${width})`);
  if (doc.algorithm === 'logistic' && layers.length !== 1) throw new ValidationError('/layers', `a logistic model has exactly one layer (has ${layers.length})`);

  const params = object(doc.params, '/params');
  const seed = integer(doc.seed, '/seed', 0);
  const trainedRows = integer(doc.trained_rows, '/trained_rows', 0);
  const createdWithText = string(doc.created_with, '/created_with');
  return {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    algorithm: doc.algorithm as ModelArtifact['algorithm'],
    classes,
    positive_class: classes.length === 2 ? (positive as string) : null,
    preprocessing,
    layers,
    params: params as ModelArtifact['params'],
    seed,
    trained_rows: trainedRows,
    created_with: createdWithText,
  };
}
