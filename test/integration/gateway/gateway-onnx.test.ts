import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { GatewayService } from '../../../services/gateway/index.js';
import { findTorchPython } from '../../../services/trainer/index.js';
import { predict, predictProba, validateArtifact, type ModelArtifact } from '../../../services/trainer/builtin/index.js';
import { tempDir, uniqueName } from '../../support/index.js';
import { insertVersion, setAlias } from '../../support/release-data.js';
import { startServiceOverHttp } from '../../support/runtime.js';
import { syntheticRows, trainTorchModel } from '../../support/served-models.js';

let runtime: Runtime;
let gateway: GatewayService;
let python: string | undefined;
let modelJson: ModelArtifact;
const rows = syntheticRows(40, 31);

beforeAll(async () => {
  python = await findTorchPython();
  if (!python) return;
  ({ runtime, service: gateway } = await startServiceOverHttp('gateway', { GATEWAY_GROUP_ID: uniqueName('gw'), GATEWAY_PLAN_REFRESH_MS: '60000' }));
  const dir = await tempDir();
  const trained = await trainTorchModel(dir, python);
  if (!trained) throw new Error(`${python} imports torch but training failed`);
  modelJson = validateArtifact(JSON.parse(await readFile(trained.json, 'utf8')));
  // As the registry records an ONNX version: artifact_uri and its sha256 are model.json's, the network is artifacts.onnx.
  await insertVersion(runtime.clickhouse, { model: 'torch', version: '1', format: 'onnx', artifactUri: trained.json, sha256: trained.sha256, artifacts: { model: trained.json, onnx: trained.onnx } });
  await setAlias(runtime.clickhouse, 'torch', '1');
  await gateway.refresh();
}, 180_000);

afterAll(async () => {
  await gateway?.stop();
  await runtime?.close();
});

describe('ONNX models', () => {
  it('serves the PyTorch trainer\'s model.onnx on model.json\'s preprocessing: the same predictions as model.json within 1e-5', async (ctx) => {
    if (!python) {
      console.warn('gateway ONNX test skipped: no Python that imports torch to export model.onnx with (infra/dev/setup.sh installs python3-torch)');
      return ctx.skip();
    }
    expect(gateway.models().get('torch')?.deployment?.champion.scorer.format).toBe('onnx');
    const expected = predict(modelJson, rows);
    const probabilities = predictProba(modelJson, rows);

    const v1 = await fetch(`${runtime.url}/v1/models/torch:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: rows.map((r) => ({ numeric: r.numeric, categorical: r.categorical })) }) });
    expect(v1.status).toBe(200);
    const { predictions } = (await v1.json()) as { predictions: { label: string; score: number; probabilities: Record<string, number>; model_version: string }[] };
    predictions.forEach((p, i) => {
      expect(p.label).toBe(expected[i]!.label);
      expect(Math.abs(p.score - expected[i]!.score)).toBeLessThan(1e-5);
      modelJson.classes.forEach((c, k) => expect(Math.abs(p.probabilities[c]! - probabilities[i]![k]!)).toBeLessThan(1e-5));
    });

    const n = rows.length;
    const v2 = await fetch(`${runtime.url}/v2/models/torch/infer`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [
        { name: 'x', shape: [n], datatype: 'FP32', data: rows.map((r) => r.numeric.x) },
        { name: 'y', shape: [n], datatype: 'FP32', data: rows.map((r) => r.numeric.y) },
        { name: 'color', shape: [n], datatype: 'BYTES', data: rows.map((r) => r.categorical.color) },
      ] }),
    });
    expect(v2.status).toBe(200);
    const out = (await v2.json()) as { outputs: { name: string; data: number[] }[] };
    const scores = out.outputs.find((o) => o.name === 'score')!.data;
    scores.forEach((s, i) => expect(Math.abs(s - expected[i]!.score)).toBeLessThan(1e-5));
    const meta = (await (await fetch(`${runtime.url}/v2/models/torch`)).json()) as { platform: string; inputs: { name: string }[] };
    expect(meta.platform).toBe('onnxruntime_onnx');
    expect(meta.inputs.map((i) => i.name)).toEqual(['x', 'y', 'color', 'event_id', 'entity_id']);
  });
});
