import { beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import {
  compileModel,
  predict,
  predictProba,
  trainBuiltin,
  validateArtifact,
  type BuiltinTrainingResult,
  type FeatureRow,
  type ModelArtifact,
  type TabularRows,
} from '../../../services/trainer/builtin/index.js';
import { threeClusters, xor } from './builtin-problems.js';

const withCategories = (rows: TabularRows): TabularRows => rows.map((r, i) => ({ ...r, categorical: { shard: `s${i % 4}` } }));

describe('builtin model artifact', () => {
  let trained: BuiltinTrainingResult;
  const validation = withCategories(xor(200, 22));
  beforeAll(async () => {
    trained = await trainBuiltin({ algorithm: 'mlp', params: { hidden: [8], epochs: 5 }, seed: 9, train: withCategories(xor(400, 21)), validation });
  });

  it('is plain JSON: stringify then parse predicts exactly the same scores as the trained artifact', () => {
    const parsed = JSON.parse(JSON.stringify(trained.artifact)) as ModelArtifact;
    expect(parsed).toEqual(trained.artifact);
    expect(predictProba(parsed, validation)).toEqual(predictProba(trained.artifact, validation));
    expect(predict(parsed, validation)).toEqual(predict(trained.artifact, validation));
    // The artifact alone reproduces the validation accuracy measured in training.
    const correct = predict(parsed, validation).filter((p, i) => p.label === validation[i]!.label).length;
    expect(correct / validation.length).toBe(trained.history.at(-1)!.metrics.val_accuracy);
  });

  it('records how it was made', () => {
    const a = trained.artifact;
    expect(a).toMatchObject({ format: 'driftloop.builtin', version: 1, algorithm: 'mlp', classes: ['differ', 'same'], positive_class: 'same', seed: 9, trained_rows: 400 });
    expect(a.created_with).toMatch(/^driftloop \d+\.\d+\.\d+/);
    expect(a.preprocessing.categorical).toEqual([{ name: 'shard', categories: ['s0', 's1', 's2', 's3'], other: false }]);
    expect(a.layers.every((l) => Array.isArray(l.weights) && l.weights.length === l.rows * l.cols)).toBe(true);
  });

  it('predicts rows without a label and with missing features', () => {
    const model = compileModel(trained.artifact);
    // Features as a server receives them: no label, a categorical object left out entirely.
    const [p, q] = model.predict([{ numeric: { x: 1 }, categorical: {} }, { numeric: { x: 1 } } as unknown as FeatureRow]);
    expect(['differ', 'same']).toContain(p!.label);
    expect(p!.score).toBeGreaterThanOrEqual(0);
    expect(p!.score).toBeLessThanOrEqual(1);
    expect(q).toEqual(p);
  });

  const mutated = (change: (doc: Record<string, unknown> & { layers: Record<string, unknown>[] }) => void): unknown => {
    const doc = JSON.parse(JSON.stringify(trained.artifact)) as Record<string, unknown> & { layers: Record<string, unknown>[] };
    change(doc);
    return doc;
  };

  it.each([
    ['a newer version', (d) => (d.version = 2), '/version: unsupported version 2 (supported: 1)'],
    ['another format', (d) => (d.format = 'onnx'), '/format: must be "driftloop.builtin" (got "onnx")'],
    ['no layers at all', (d) => delete (d as Record<string, unknown>).layers, '/layers: must be an array (got undefined)'],
    ['an empty layer list', (d) => (d.layers = []), '/layers: must hold at least one layer'],
    ['the output layer missing', (d) => d.layers.pop(), '/layers/0/activation: must be softmax on the output layer'],
    ['a hidden layer missing', (d) => d.layers.shift(), '/layers/0/rows: must be 6, the width of the preprocessed input (got 8)'],
    ['a layer without weights', (d) => delete d.layers[1]!.weights, '/layers/1/weights: must be an array (got undefined)'],
    ['a short weight array', (d) => (d.layers[0]!.weights as number[]).pop(), '/layers/0/weights: must hold 48 numbers (holds 47)'],
    ['a null weight', (d) => ((d.layers[1]!.weights as unknown[])[3] = null), '/layers/1/weights/3: must be a finite number (got null)'],
    ['an unknown activation', (d) => (d.layers[0]!.activation = 'tanh'), '/layers/0/activation: "tanh" is not allowed (allowed: relu, softmax)'],
    ['a negative std', (d) => ((d.preprocessing as { numeric: { std: number }[] }).numeric[1]!.std = -1), '/preprocessing/numeric/1/std: must be a finite number >= 0 (got -1)'],
    ['a positive class that is not a class', (d) => (d.positive_class = 'maybe'), '/positive_class: must be one of the classes (differ, same)'],
    ['a single class', (d) => (d.classes = ['same']), '/classes: must name at least 2 classes'],
  ] as [string, (d: Record<string, unknown> & { layers: Record<string, unknown>[] }) => void, string][])('rejects %s with the path in the message', (_name, change, message) => {
    const doc = mutated(change);
    expect(() => validateArtifact(doc)).toThrow(ValidationError);
    expect(() => validateArtifact(doc)).toThrow(message);
    expect(() => compileModel(doc)).toThrow(message);
  });

  it('scores an artifact written before constant features got std 0 with the std it records (1 or a rounding residue), as it always did', () => {
    // Softmax regression over x (std 2) and two features constant in their train data, recorded the old way.
    const old: ModelArtifact = {
      format: 'driftloop.builtin', version: 1, algorithm: 'logistic', classes: ['DOWN', 'UP'], positive_class: 'UP',
      preprocessing: { numeric: [{ name: 'x', mean: 1, std: 2 }, { name: 'c1', mean: 5, std: 1 }, { name: 'c2', mean: 0.0034670000000000005, std: 4.336808689942018e-19 }], categorical: [] },
      layers: [{ weights: [0.5, -0.5, 0.25, -0.25, 1e-18, -1e-18], bias: [0.1, -0.1], rows: 3, cols: 2, activation: 'softmax' }],
      params: {}, seed: 1, trained_rows: 10, created_with: 'driftloop 0.1.0',
    };
    const row = { numeric: { x: 3, c1: 7, c2: 0.5 }, categorical: {} };
    // Inputs (3 - 1) / 2 = 1, (7 - 5) / 1 = 2, (0.5 - 0.003467) / 4.34e-19 = 1.14e18: each weighs in.
    const inputs = [1, 2, (0.5 - 0.0034670000000000005) / 4.336808689942018e-19];
    const logits = [0, 1].map((j) => 0.1 * (j === 0 ? 1 : -1) + inputs.reduce((sum, v, k) => sum + v * old.layers[0]!.weights[k * 2 + j]!, 0));
    const up = 1 / (1 + Math.exp(logits[0]! - logits[1]!));
    const [p] = predictProba(JSON.parse(JSON.stringify(old)), [row]);
    expect(p![1]).toBeCloseTo(up, 12);
    expect(predictProba(old, [{ numeric: { x: 3, c1: 5, c2: 0.0034670000000000005 }, categorical: {} }])).not.toEqual([p]);
  });

  it('accepts std 0, a feature constant in train, and scores it as contributing nothing', () => {
    const doc = mutated((d) => ((d.preprocessing as { numeric: { std: number }[] }).numeric[1]!.std = 0));
    const model = compileModel(doc);
    const name = model.artifact.preprocessing.numeric[1]!.name;
    const rows = [-1e9, 0, 3, 1e9].map((v) => ({ numeric: { ...validation[0]!.numeric, [name]: v }, categorical: validation[0]!.categorical }));
    const [first, ...rest] = model.predictProba(rows);
    for (const p of rest) expect(p).toEqual(first);
  });

  it('rejects a document that is not an object', () => {
    expect(() => validateArtifact('model')).toThrow('/: must be an object (got string)');
  });

  it('validates a multi-class logistic artifact with a null positive class', async () => {
    const { artifact } = await trainBuiltin({ algorithm: 'logistic', params: { epochs: 1 }, seed: 1, train: threeClusters(60, 1), validation: threeClusters(30, 2) });
    expect(validateArtifact(JSON.parse(JSON.stringify(artifact)))).toEqual(artifact);
    expect(() => validateArtifact({ ...artifact, positive_class: 'alpha' })).toThrow('/positive_class: must be null for more than 2 classes');
  });
});
