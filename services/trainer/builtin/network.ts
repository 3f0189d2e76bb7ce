import type { Matrix } from './preprocess.js';
import { normalDraw } from './random.js';
import type { ArtifactLayer } from './types.js';

/** A dense layer as the trainer and the predictor hold it: `weights` is rows (inputs) x cols (outputs), row-major. */
export interface DenseLayer {
  weights: Float64Array;
  bias: Float64Array;
  rows: number;
  cols: number;
  activation: 'relu' | 'softmax';
}

/** Rows per chunk at inference, so activations of a large batch never need more than this many rows of memory. */
const INFERENCE_CHUNK_ROWS = 1024;

/**
 * Layers for `widths` = [inputs, ...hidden, classes]: ReLU hidden layers and
 * a softmax output, weights He-initialized (normal, variance 2 / fan-in),
 * biases zero.
 */
export function initLayers(widths: readonly number[], random: () => number): DenseLayer[] {
  const layers: DenseLayer[] = [];
  for (let l = 1; l < widths.length; l++) {
    const rows = widths[l - 1]!;
    const cols = widths[l]!;
    const scale = Math.sqrt(2 / Math.max(rows, 1));
    const weights = new Float64Array(rows * cols);
    for (let i = 0; i < weights.length; i++) weights[i] = normalDraw(random) * scale;
    layers.push({ weights, bias: new Float64Array(cols), rows, cols, activation: l === widths.length - 1 ? 'softmax' : 'relu' });
  }
  return layers;
}

/** out[n x cols] = input[n x rows] · weights + bias. Zero inputs (most one-hot columns) are skipped. */
export function denseForward(input: Float64Array, n: number, layer: DenseLayer, out: Float64Array): void {
  const { weights, bias, rows, cols } = layer;
  for (let i = 0; i < n; i++) {
    const o = i * cols;
    for (let j = 0; j < cols; j++) out[o + j] = bias[j]!;
    const x = i * rows;
    for (let k = 0; k < rows; k++) {
      const a = input[x + k]!;
      if (a === 0) continue;
      const w = k * cols;
      for (let j = 0; j < cols; j++) out[o + j]! += a * weights[w + j]!;
    }
  }
}

export function reluInPlace(values: Float64Array, length: number): void {
  for (let i = 0; i < length; i++) if (!(values[i]! > 0)) values[i] = 0;
}

/** Row-wise softmax, shifted by the row maximum so exp never overflows. */
export function softmaxInPlace(values: Float64Array, n: number, cols: number): void {
  for (let i = 0; i < n; i++) {
    const o = i * cols;
    let max = -Infinity;
    for (let j = 0; j < cols; j++) if (values[o + j]! > max) max = values[o + j]!;
    let sum = 0;
    for (let j = 0; j < cols; j++) {
      const e = Math.exp(values[o + j]! - max);
      values[o + j] = e;
      sum += e;
    }
    for (let j = 0; j < cols; j++) values[o + j]! /= sum;
  }
}

/** Class probabilities (n x classes, row-major) for an input matrix; no dropout. */
export function predictMatrix(layers: readonly DenseLayer[], x: Matrix): Float64Array {
  const classes = layers[layers.length - 1]!.cols;
  const result = new Float64Array(x.rows * classes);
  const widest = Math.max(...layers.map((l) => l.cols));
  // Sized to the rows at hand: a one-row prediction (the gateway's common case) must not allocate and zero a 1024-row chunk.
  const chunkRows = Math.min(INFERENCE_CHUNK_ROWS, Math.max(1, x.rows));
  const bufferA = new Float64Array(chunkRows * widest);
  const bufferB = new Float64Array(chunkRows * widest);
  for (let start = 0; start < x.rows; start += INFERENCE_CHUNK_ROWS) {
    const n = Math.min(INFERENCE_CHUNK_ROWS, x.rows - start);
    let input = x.data.subarray(start * x.cols, (start + n) * x.cols);
    let out = bufferA;
    for (const layer of layers) {
      denseForward(input, n, layer, out);
      if (layer.activation === 'relu') reluInPlace(out, n * layer.cols);
      else softmaxInPlace(out, n, layer.cols);
      input = out;
      out = out === bufferA ? bufferB : bufferA;
    }
    result.set(input.subarray(0, n * classes), start * classes);
  }
  return result;
}

/** Plain arrays for the JSON artifact; every double survives JSON exactly. */
export function toArtifactLayer(layer: DenseLayer): ArtifactLayer {
  return { weights: Array.from(layer.weights), bias: Array.from(layer.bias), rows: layer.rows, cols: layer.cols, activation: layer.activation };
}

export function fromArtifactLayer(layer: ArtifactLayer): DenseLayer {
  return { weights: Float64Array.from(layer.weights), bias: Float64Array.from(layer.bias), rows: layer.rows, cols: layer.cols, activation: layer.activation };
}
