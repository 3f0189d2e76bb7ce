import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { onnxScorer } from '../../../services/gateway/onnx-scorer.js';
import { findTorchPython } from '../../../services/trainer/index.js';
import { logLoss, predictProba, validateArtifact, type TabularRows } from '../../../services/trainer/builtin/index.js';
import { tempDir } from '../../support/index.js';
import { syntheticRows, trainTorchModel } from '../../support/served-models.js';

// As Elec2's vicprice before Victoria's data starts: one value in every train row.
const VICPRICE = 0.003467;
const withVicprice = (rows: TabularRows, value: (i: number) => number): TabularRows => rows.map((r, i) => ({ ...r, numeric: { ...r.numeric, vicprice: value(i) } }));

describe('the PyTorch reference trainer on a feature constant in train', () => {
  it('records std 0 for it, and model.json, its own test metrics and model.onnx all score as if it stayed at its train value when it varies', async (ctx) => {
    if (process.env.DRIFTLOOP_SKIP_TORCH === '1') return ctx.skip();
    const python = await findTorchPython();
    expect(python, 'no Python that imports torch (infra/dev/setup.sh installs python3-torch); DRIFTLOOP_SKIP_TORCH=1 skips this test').toBeDefined();
    const rows = syntheticRows(600, 17);
    // Train and validation hold the one value; in test it varies wildly.
    const test = withVicprice(rows.slice(500), (i) => (i % 2 ? 1e6 : -1e3) * (i + 1));
    const parts = { train: withVicprice(rows.slice(0, 400), () => VICPRICE), validation: withVicprice(rows.slice(400, 500), () => VICPRICE), test };
    const dir = await tempDir();
    const trained = await trainTorchModel(dir, python, { parts, seed: 5, epochs: 3 });
    if (!trained) throw new Error(`${python} imports torch but training failed`);

    const model = validateArtifact(JSON.parse(await readFile(trained.json, 'utf8')));
    expect(model.preprocessing.numeric.find((f) => f.name === 'vicprice')).toMatchObject({ std: 0 });
    const probabilities = predictProba(model, test);
    expect(probabilities).toEqual(predictProba(model, withVicprice(test, () => VICPRICE)));

    // torch_mlp.py scored test.csv itself: its loss is the TypeScript predictor's, so it ignored the varying column too.
    const { metrics } = JSON.parse(await readFile(trained.metrics, 'utf8')) as { metrics: { test_loss: number } };
    const labels = test.map((r) => model.classes.indexOf(r.label));
    expect(Math.abs(logLoss(probabilities.flat(), model.classes.length, labels) - metrics.test_loss)).toBeLessThan(1e-5);

    const onnx = await onnxScorer(model, await readFile(trained.onnx));
    try {
      const scores = await onnx.score(test);
      probabilities.forEach((p, i) => p.forEach((q, k) => expect(Math.abs(scores.probabilities[i * p.length + k]! - q)).toBeLessThan(1e-5)));
    } finally {
      await onnx.close();
    }
  }, 180_000);
});
