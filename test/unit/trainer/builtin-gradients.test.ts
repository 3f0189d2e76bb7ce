import { describe, expect, it } from 'vitest';
import { createWorkspace, trainStep } from '../../../services/trainer/builtin/backprop.js';
import { logLoss, mulberry32 } from '../../../services/trainer/builtin/index.js';
import { initLayers, predictMatrix, type DenseLayer } from '../../../services/trainer/builtin/network.js';

describe('builtin backpropagation', () => {
  it('matches finite differences of mean cross-entropy plus the L2 penalty for every weight and bias', () => {
    const random = mulberry32(5);
    const n = 6;
    const widths = [3, 5, 4, 3];
    const layers = initLayers(widths, random);
    for (const l of layers) for (let i = 0; i < l.bias.length; i++) l.bias[i] = random() - 0.5;
    const input = Float64Array.from({ length: n * widths[0]! }, () => random() * 4 - 2);
    const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
    const l2 = 0.01;

    const objective = (ls: DenseLayer[]): number => {
      const p = predictMatrix(ls, { data: input, rows: n, cols: widths[0]! });
      let penalty = 0;
      for (const l of ls) for (const w of l.weights) penalty += (l2 / 2) * w * w;
      return logLoss(p, 3, labels) + penalty;
    };

    const ws = createWorkspace(layers, n);
    // lr 0 leaves the weights where they are, so the gradients stay comparable.
    const lossSum = trainStep(layers, ws, input, labels, n, { lr: 0, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, l2, dropout: 0, random });
    expect(lossSum / n).toBeCloseTo(objective(layers) - layers.reduce((s, l) => s + l.weights.reduce((a, w) => a + (l2 / 2) * w * w, 0), 0), 12);

    const h = 1e-6;
    let checked = 0;
    layers.forEach((layer, li) => {
      for (const [values, gradients] of [
        [layer.weights, ws.weightGradients[li]!],
        [layer.bias, ws.biasGradients[li]!],
      ] as const) {
        for (let i = 0; i < values.length; i++) {
          const saved = values[i]!;
          values[i] = saved + h;
          const up = objective(layers);
          values[i] = saved - h;
          const down = objective(layers);
          values[i] = saved;
          expect(gradients[i]!, `layer ${li} index ${i}`).toBeCloseTo((up - down) / (2 * h), 6);
          checked++;
        }
      }
    });
    expect(checked).toBe(3 * 5 + 5 + 5 * 4 + 4 + 4 * 3 + 3);
  });
});
