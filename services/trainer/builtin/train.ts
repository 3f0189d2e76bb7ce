import { ValidationError } from '../../common/index.js';
import { ARTIFACT_FORMAT, ARTIFACT_VERSION, createdWith } from './artifact.js';
import { createWorkspace, trainStep } from './backprop.js';
import { accuracy, logLoss, rocAuc } from './metrics.js';
import { initLayers, predictMatrix, toArtifactLayer, type DenseLayer } from './network.js';
import { checkAlgorithm, checkSeed, recordedParams, resolveParams } from './params.js';
import { encodeLabels, fitPreprocessor, transform, type Matrix } from './preprocess.js';
import { shuffleInPlace, splitSeed } from './random.js';
import type { BuiltinAlgorithm, EpochMetrics, ModelArtifact, ParamValue, TabularRows } from './types.js';

export type EpochDecision = 'continue' | 'stop';

export interface BuiltinTrainingSpec {
  algorithm: BuiltinAlgorithm;
  /** See ResolvedParams for names, ranges and defaults; unknown names are refused. */
  params: Record<string, ParamValue>;
  /** Unsigned 32-bit integer; the same data, params and seed give bit-identical weights and metrics. */
  seed: number;
  train: TabularRows;
  /** Scored after every epoch with the train-fitted preprocessing; at least one row. */
  validation: TabularRows;
  /** Called after each epoch; 'stop' ends training after this epoch (a pruner's verdict). */
  onEpoch?: (e: EpochMetrics) => EpochDecision | Promise<EpochDecision>;
  /** Aborts between epochs: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface BuiltinTrainingResult {
  /** The weights after the last epoch run. */
  artifact: ModelArtifact;
  history: EpochMetrics[];
  /** True when onEpoch said 'stop' before the last epoch. */
  stoppedEarly: boolean;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function copyRows(from: Matrix, order: Uint32Array, start: number, n: number, into: Float64Array): void {
  const cols = from.cols;
  for (let i = 0; i < n; i++) {
    const r = order[start + i]!;
    into.set(from.data.subarray(r * cols, (r + 1) * cols), i * cols);
  }
}

/**
 * Trains softmax regression (`logistic`) or a ReLU MLP (`mlp`) with mini-batch
 * Adam on preprocessing fitted to train only, scoring validation after each
 * epoch. Deterministic: initial weights, shuffles and dropout masks come from
 * PRNG streams seeded by `seed`.
 */
export async function trainBuiltin(spec: BuiltinTrainingSpec): Promise<BuiltinTrainingResult> {
  const algorithm = checkAlgorithm(spec.algorithm);
  const params = resolveParams(algorithm, spec.params);
  const seed = checkSeed(spec.seed);
  if (!Array.isArray(spec.train)) throw new ValidationError('/train', 'must be an array of rows');
  if (!Array.isArray(spec.validation) || spec.validation.length === 0) throw new ValidationError('/validation', 'has no rows');
  const fitted = fitPreprocessor(spec.train, { maxCategories: params.maxCategories });
  const { classes } = fitted;
  if (classes.length < 2) throw new ValidationError('/train', `needs at least 2 classes (found ${classes.length}: ${classes.join(', ')})`);
  let positiveClass: string | null = null;
  if (classes.length === 2) {
    positiveClass = params.positiveClass ?? classes[1]!;
    if (!classes.includes(positiveClass)) throw new ValidationError('/params/positiveClass', `${JSON.stringify(positiveClass)} is not a class (classes: ${classes.join(', ')})`);
  } else if (params.positiveClass !== undefined) {
    throw new ValidationError('/params/positiveClass', `applies to binary problems only (found ${classes.length} classes)`);
  }
  const preprocessing = { numeric: fitted.numeric, categorical: fitted.categorical };
  const x = transform(preprocessing, spec.train);
  const y = encodeLabels(classes, spec.train, '/train');
  const xVal = transform(preprocessing, spec.validation);
  const yVal = encodeLabels(classes, spec.validation, '/validation');
  const positiveIndex = positiveClass === null ? -1 : classes.indexOf(positiveClass);
  const valPositive = positiveIndex >= 0 ? Array.from(yVal, (k) => k === positiveIndex) : [];

  const [initRandom, shuffleRandom, dropoutRandom] = splitSeed(seed, 3) as [() => number, () => number, () => number];
  const layers: DenseLayer[] = initLayers([x.cols, ...params.hidden, classes.length], initRandom);
  const batchSize = Math.min(params.batchSize, x.rows);
  const workspace = createWorkspace(layers, batchSize);
  const batchInput = new Float64Array(batchSize * x.cols);
  const batchLabels = new Int32Array(batchSize);
  const order = new Uint32Array(x.rows);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const step = { lr: params.lr, beta1: params.beta1, beta2: params.beta2, epsilon: params.epsilon, l2: params.l2, dropout: params.dropout, random: dropoutRandom };

  const history: EpochMetrics[] = [];
  let stoppedEarly = false;
  for (let epoch = 1; epoch <= params.epochs; epoch++) {
    spec.signal?.throwIfAborted();
    shuffleInPlace(order, shuffleRandom);
    let lossSum = 0;
    for (let start = 0; start < x.rows; start += batchSize) {
      const n = Math.min(batchSize, x.rows - start);
      copyRows(x, order, start, n, batchInput);
      for (let i = 0; i < n; i++) batchLabels[i] = y[order[start + i]!]!;
      lossSum += trainStep(layers, workspace, batchInput, batchLabels, n, step);
    }
    const p = predictMatrix(layers, xVal);
    const metrics: EpochMetrics['metrics'] = {
      loss: lossSum / x.rows,
      val_loss: logLoss(p, classes.length, yVal),
      val_accuracy: accuracy(p, classes.length, yVal),
    };
    if (positiveIndex >= 0) {
      const scores = new Float64Array(yVal.length);
      for (let i = 0; i < scores.length; i++) scores[i] = p[i * classes.length + positiveIndex]!;
      metrics.val_auc = rocAuc(scores, valPositive);
    }
    const record = { epoch, metrics };
    history.push(record);
    const decision = spec.onEpoch ? await spec.onEpoch({ epoch, metrics: { ...metrics } }) : 'continue';
    if (decision === 'stop') {
      stoppedEarly = epoch < params.epochs;
      break;
    }
    // Training is CPU-bound: let timers, signals and other work in this process run between epochs.
    await yieldToEventLoop();
  }

  const artifact: ModelArtifact = {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    algorithm,
    classes,
    positive_class: positiveClass,
    preprocessing,
    layers: layers.map(toArtifactLayer),
    params: recordedParams(algorithm, params),
    seed,
    trained_rows: x.rows,
    created_with: createdWith(),
  };
  return { artifact, history, stoppedEarly };
}
