import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import { predict, predictProba, trainBuiltin, type EpochMetrics, type TabularRows } from '../../../services/trainer/builtin/index.js';
import { separable, threeClusters, xor } from './builtin-problems.js';

const accuracyOf = (model: Parameters<typeof predict>[0], rows: TabularRows): number =>
  predict(model, rows).filter((p, i) => p.label === rows[i]!.label).length / rows.length;

describe('builtin trainers learn', () => {
  it('logistic regression separates a linearly separable 2D problem', async () => {
    const { artifact, history } = await trainBuiltin({ algorithm: 'logistic', params: { epochs: 20, lr: 0.05 }, seed: 1, train: separable(1000, 1), validation: separable(500, 2) });
    expect(history).toHaveLength(20);
    expect(history.at(-1)!.metrics.val_accuracy).toBeGreaterThanOrEqual(0.98);
    expect(history.at(-1)!.metrics.val_auc).toBeGreaterThan(0.99);
    expect(artifact.layers).toHaveLength(1);
    expect(artifact.classes).toEqual(['neg', 'pos']);
    expect(artifact.positive_class).toBe('pos');
  });

  it('an MLP learns XOR where logistic regression stays near chance', async () => {
    const spec = { seed: 3, train: xor(800, 3), validation: xor(400, 4) };
    const mlp = await trainBuiltin({ ...spec, algorithm: 'mlp', params: { hidden: [16], epochs: 30, lr: 0.02 } });
    const logistic = await trainBuiltin({ ...spec, algorithm: 'logistic', params: { epochs: 30, lr: 0.02 } });
    expect(mlp.history.at(-1)!.metrics.val_accuracy).toBeGreaterThanOrEqual(0.95);
    expect(logistic.history.at(-1)!.metrics.val_accuracy).toBeGreaterThan(0.35);
    expect(logistic.history.at(-1)!.metrics.val_accuracy).toBeLessThan(0.65);
    expect(mlp.artifact.layers.map((l) => [l.rows, l.cols, l.activation])).toEqual([
      [2, 16, 'relu'],
      [16, 2, 'softmax'],
    ]);
  });

  it('handles three classes with a softmax output, probabilities summing to one and no AUC', async () => {
    const validation = threeClusters(300, 6);
    for (const algorithm of ['logistic', 'mlp'] as const) {
      const { artifact, history } = await trainBuiltin({ algorithm, params: { epochs: 15 }, seed: 5, train: threeClusters(600, 5), validation });
      expect(artifact.classes).toEqual(['alpha', 'beta', 'gamma']);
      expect(artifact.positive_class).toBeNull();
      expect(history.at(-1)!.metrics.val_accuracy).toBeGreaterThan(0.95);
      expect(history.at(-1)!.metrics.val_auc).toBeUndefined();
      expect(accuracyOf(artifact, validation)).toBe(history.at(-1)!.metrics.val_accuracy);
      const probabilities = predictProba(artifact, validation.slice(0, 20));
      for (const p of probabilities) {
        expect(p).toHaveLength(3);
        expect(p.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      }
      // Multi-class: the score is the probability of the predicted label.
      predict(artifact, validation.slice(0, 20)).forEach((p, i) => {
        expect(p.score).toBe(Math.max(...probabilities[i]!));
        expect(p.label).toBe(artifact.classes[probabilities[i]!.indexOf(p.score)]);
      });
    }
  });

  it('scores binary predictions as P(positive class), which can be named', async () => {
    const validation = separable(200, 8);
    const { artifact } = await trainBuiltin({ algorithm: 'logistic', params: { epochs: 5, positiveClass: 'neg' }, seed: 1, train: separable(300, 7), validation });
    expect(artifact.positive_class).toBe('neg');
    const probabilities = predictProba(artifact, validation);
    predict(artifact, validation).forEach((p, i) => {
      expect(p.score).toBe(probabilities[i]![0]);
      expect(p.label).toBe(probabilities[i]![0]! >= probabilities[i]![1]! ? 'neg' : 'pos');
    });
  });
});

describe('builtin trainers are deterministic', () => {
  const spec = { algorithm: 'mlp' as const, params: { hidden: [8, 4], epochs: 4, batchSize: 16, dropout: 0.2 }, train: xor(300, 11), validation: xor(100, 12) };

  it('produces identical artifacts and metrics for the same seed', async () => {
    const a = await trainBuiltin({ ...spec, seed: 42 });
    const b = await trainBuiltin({ ...spec, seed: 42 });
    expect(b.artifact).toEqual(a.artifact);
    expect(JSON.stringify(b.artifact)).toBe(JSON.stringify(a.artifact));
    expect(b.history).toEqual(a.history);
  });

  it('produces different weights for a different seed', async () => {
    const a = await trainBuiltin({ ...spec, seed: 42 });
    const b = await trainBuiltin({ ...spec, seed: 43 });
    expect(b.artifact.layers[0]!.weights).not.toEqual(a.artifact.layers[0]!.weights);
    expect(b.artifact.seed).toBe(43);
  });
});

describe('builtin training progress', () => {
  it('stops after the epoch onEpoch answers stop and reports stoppedEarly', async () => {
    const seen: EpochMetrics[] = [];
    const { history, stoppedEarly } = await trainBuiltin({
      algorithm: 'mlp',
      params: { epochs: 10 },
      seed: 1,
      train: xor(200, 1),
      validation: xor(100, 2),
      onEpoch: async (e) => {
        seen.push(e);
        return e.epoch === 3 ? 'stop' : 'continue';
      },
    });
    expect(seen.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(history).toEqual(seen);
    expect(stoppedEarly).toBe(true);
    for (const e of history) {
      expect(Object.keys(e.metrics).sort()).toEqual(['loss', 'val_accuracy', 'val_auc', 'val_loss']);
      for (const v of Object.values(e.metrics)) expect(Number.isFinite(v)).toBe(true);
    }
  });

  it('runs every epoch without stoppedEarly when onEpoch always continues', async () => {
    const r = await trainBuiltin({ algorithm: 'logistic', params: { epochs: 3 }, seed: 1, train: xor(100, 1), validation: xor(50, 2), onEpoch: () => 'continue' });
    expect(r.history.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(r.stoppedEarly).toBe(false);
  });

  it('rejects with the abort reason when its signal is aborted between epochs', async () => {
    const controller = new AbortController();
    const run = trainBuiltin({
      algorithm: 'logistic',
      params: { epochs: 10 },
      seed: 1,
      train: xor(100, 1),
      validation: xor(50, 2),
      signal: controller.signal,
      onEpoch: (e) => {
        if (e.epoch === 2) controller.abort(new Error('trial cancelled'));
        return 'continue';
      },
    });
    await expect(run).rejects.toThrow('trial cancelled');
  });
});

describe('builtin trainers on a feature constant in train', () => {
  // As Elec2's vicprice before Victoria's data starts: one value in every train row, whose computed std is a rounding residue.
  const VICPRICE = 0.003467;
  const withVicprice = (rows: TabularRows, value: (i: number) => number): TabularRows => rows.map((r, i) => ({ ...r, numeric: { ...r.numeric, vicprice: value(i) } }));
  const train = withVicprice(xor(400, 11), () => VICPRICE);
  const validation = withVicprice(xor(100, 12), () => VICPRICE);
  const serving = xor(200, 13);
  const wild = [-1e9, -1, 0, 0.5, 1, 1e6, 1e300, NaN];

  it.each(['logistic', 'mlp'] as const)('%s: predictions with the feature varying wildly in serving equal those with it at its train value', async (algorithm) => {
    const { artifact } = await trainBuiltin({ algorithm, params: algorithm === 'mlp' ? { hidden: [8], epochs: 5 } : { epochs: 5 }, seed: 4, train, validation });
    expect(artifact.preprocessing.numeric.find((f) => f.name === 'vicprice')!.std).toBe(0);
    const model = JSON.parse(JSON.stringify(artifact)) as typeof artifact;
    const atTrainValue = predictProba(model, withVicprice(serving, () => VICPRICE));
    expect(predictProba(model, withVicprice(serving, (i) => wild[i % wild.length]!))).toEqual(atTrainValue);
    expect(predictProba(model, serving)).toEqual(atTrainValue);
  });
});

describe('builtin training input checks', () => {
  const base = { algorithm: 'mlp' as const, params: {}, seed: 1, train: xor(40, 1), validation: xor(20, 2) };

  it.each([
    [{ algorithm: 'svm' }, '/algorithm: "svm" is not allowed (allowed: logistic, mlp)'],
    [{ params: { lr: -1 } }, '/params/lr: must be a number > 0 and <= 10 (got -1)'],
    [{ params: { batchSize: 2.5 } }, '/params/batchSize: must be an integer >= 1'],
    [{ params: { epochs: '3' } }, '/params/epochs: must be an integer >= 1 and <= 100000 (got "3")'],
    [{ params: { dropout: 1 } }, '/params/dropout: must be a number >= 0 and < 1 (got 1)'],
    [{ params: { hidden: [32, 0] } }, '/params/hidden: must be 1 to 16 layer widths'],
    [{ params: { learningRate: 0.1 } }, '/params/learningRate: unknown param for mlp (allowed: lr, batchSize, epochs, l2, beta1, beta2, epsilon, maxCategories, positiveClass, hidden, dropout)'],
    [{ algorithm: 'logistic', params: { hidden: [4] } }, '/params/hidden: unknown param for logistic (allowed: lr, batchSize'],
    [{ params: { positiveClass: 'maybe' } }, '/params/positiveClass: "maybe" is not a class (classes: differ, same)'],
    [{ seed: -1 }, '/seed: must be an integer from 0 to 4294967295 (got -1)'],
    [{ validation: [] }, '/validation: has no rows'],
    [{ validation: [{ numeric: {}, categorical: {}, label: 'other' }] }, '/validation/0/label: "other" is not a class seen in train (classes: differ, same)'],
    [{ train: xor(40, 1).map((r) => ({ ...r, label: 'same' })) }, '/train: needs at least 2 classes (found 1: same)'],
  ])('refuses %j naming the input and what is allowed', async (override, message) => {
    const run = trainBuiltin({ ...base, ...override } as Parameters<typeof trainBuiltin>[0]);
    await expect(run).rejects.toThrow(ValidationError);
    await expect(trainBuiltin({ ...base, ...override } as Parameters<typeof trainBuiltin>[0])).rejects.toThrow(message);
  });

  it('accepts hidden layers as a number or a comma-separated string and records them as an array', async () => {
    const a = await trainBuiltin({ ...base, params: { hidden: '6,3', epochs: 1 } });
    const b = await trainBuiltin({ ...base, params: { hidden: 5, epochs: 1 } });
    expect(a.artifact.params.hidden).toEqual([6, 3]);
    expect(b.artifact.params.hidden).toEqual([5]);
    expect(a.artifact.params).toMatchObject({ lr: 0.01, batchSize: 32, epochs: 1, l2: 0, dropout: 0, maxCategories: 100 });
  });
});
