import { adamUpdate, createAdamState, type AdamOptions, type AdamState } from './adam.js';
import { LOG_LOSS_EPSILON } from './metrics.js';
import { denseForward, softmaxInPlace, type DenseLayer } from './network.js';

export interface StepOptions extends AdamOptions {
  l2: number;
  /** Share of hidden units zeroed per example while training (inverted dropout: the kept ones are scaled by 1 / (1 - dropout)). */
  dropout: number;
  /** Draws dropout masks; unused when dropout is 0. */
  random: () => number;
}

/** Buffers sized once for the largest batch, reused every step. */
export interface TrainingWorkspace {
  /** Outputs of each layer (ReLU or softmax applied, dropout included). */
  activations: Float64Array[];
  /** Loss gradient with respect to each layer's pre-activation. */
  deltas: Float64Array[];
  weightGradients: Float64Array[];
  biasGradients: Float64Array[];
  weightMoments: AdamState[];
  biasMoments: AdamState[];
  /** Adam steps taken so far. */
  step: number;
}

export function createWorkspace(layers: readonly DenseLayer[], batchSize: number): TrainingWorkspace {
  return {
    activations: layers.map((l) => new Float64Array(batchSize * l.cols)),
    deltas: layers.map((l) => new Float64Array(batchSize * l.cols)),
    weightGradients: layers.map((l) => new Float64Array(l.weights.length)),
    biasGradients: layers.map((l) => new Float64Array(l.bias.length)),
    weightMoments: layers.map((l) => createAdamState(l.weights.length)),
    biasMoments: layers.map((l) => createAdamState(l.bias.length)),
    step: 0,
  };
}

/**
 * One mini-batch of gradient descent: forward (with dropout), softmax
 * cross-entropy gradient, backward, Adam update of every layer. Returns the
 * batch's summed cross-entropy before the update.
 */
export function trainStep(
  layers: readonly DenseLayer[],
  ws: TrainingWorkspace,
  input: Float64Array,
  labels: Int32Array,
  n: number,
  o: StepOptions,
): number {
  const last = layers.length - 1;
  const keepScale = 1 / (1 - o.dropout);
  let x = input;
  for (let l = 0; l <= last; l++) {
    const layer = layers[l]!;
    const out = ws.activations[l]!;
    denseForward(x, n, layer, out);
    const size = n * layer.cols;
    if (layer.activation === 'softmax') softmaxInPlace(out, n, layer.cols);
    else if (o.dropout > 0) for (let i = 0; i < size; i++) out[i] = out[i]! > 0 && o.random() >= o.dropout ? out[i]! * keepScale : 0;
    else for (let i = 0; i < size; i++) if (!(out[i]! > 0)) out[i] = 0;
    x = out;
  }

  const classes = layers[last]!.cols;
  const probabilities = ws.activations[last]!;
  const outputDelta = ws.deltas[last]!;
  let loss = 0;
  for (let i = 0; i < n; i++) {
    const o0 = i * classes;
    const y = labels[i]!;
    loss -= Math.log(Math.max(probabilities[o0 + y]!, LOG_LOSS_EPSILON));
    for (let j = 0; j < classes; j++) outputDelta[o0 + j] = (probabilities[o0 + j]! - (j === y ? 1 : 0)) / n;
  }

  for (let l = last; l >= 0; l--) {
    const layer = layers[l]!;
    const { rows, cols, weights } = layer;
    const delta = ws.deltas[l]!;
    const below = l > 0 ? ws.activations[l - 1]! : input;
    const gw = ws.weightGradients[l]!;
    const gb = ws.biasGradients[l]!;
    for (let i = 0; i < gw.length; i++) gw[i] = o.l2 * weights[i]!;
    gb.fill(0);
    for (let i = 0; i < n; i++) {
      const d = i * cols;
      for (let j = 0; j < cols; j++) gb[j]! += delta[d + j]!;
      const a0 = i * rows;
      for (let k = 0; k < rows; k++) {
        const a = below[a0 + k]!;
        if (a === 0) continue;
        const w = k * cols;
        for (let j = 0; j < cols; j++) gw[w + j]! += a * delta[d + j]!;
      }
    }
    if (l > 0) {
      // Through the ReLU (and dropout): a unit passed gradient only where its output was positive, scaled like its output.
      const belowDelta = ws.deltas[l - 1]!;
      const scale = o.dropout > 0 ? keepScale : 1;
      for (let i = 0; i < n; i++) {
        const d = i * cols;
        const a0 = i * rows;
        for (let k = 0; k < rows; k++) {
          if (!(below[a0 + k]! > 0)) {
            belowDelta[a0 + k] = 0;
            continue;
          }
          const w = k * cols;
          let sum = 0;
          for (let j = 0; j < cols; j++) sum += delta[d + j]! * weights[w + j]!;
          belowDelta[a0 + k] = sum * scale;
        }
      }
    }
  }

  ws.step++;
  for (let l = 0; l <= last; l++) {
    adamUpdate(layers[l]!.weights, ws.weightGradients[l]!, ws.weightMoments[l]!, ws.step, o);
    adamUpdate(layers[l]!.bias, ws.biasGradients[l]!, ws.biasMoments[l]!, ws.step, o);
  }
  return loss;
}
