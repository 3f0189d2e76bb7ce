import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { seededRandom } from '../../services/common/index.js';
import { trainBuiltin, writeTabularCsv, type ModelArtifact, type TabularRows } from '../../services/trainer/builtin/index.js';

const run = promisify(execFile);
const TORCH_MLP = fileURLToPath(new URL('../../infra/trainers/torch_mlp.py', import.meta.url));

/**
 * A small seeded binary problem with both kinds of feature: the label leans on
 * x + y and on the color, so models trained on it disagree in interesting ways.
 */
export function syntheticRows(n: number, seed: number): TabularRows {
  const random = seededRandom(seed);
  const colors = ['red', 'green', 'blue'];
  return Array.from({ length: n }, () => {
    const x = random() * 4 - 2;
    const y = random() * 4 - 2;
    const color = colors[Math.floor(random() * 3)]!;
    const z = x + 0.5 * y + (color === 'red' ? 0.8 : color === 'blue' ? -0.8 : 0) + (random() - 0.5);
    return { numeric: { x, y }, categorical: { color }, label: z > 0 ? 'UP' : 'DOWN' };
  });
}

/** A builtin model trained on `syntheticRows` (a few epochs: fast, deterministic for a seed). */
export async function trainTinyModel(seed: number, options: { algorithm?: 'logistic' | 'mlp'; rows?: number; hidden?: number[] } = {}): Promise<ModelArtifact> {
  const rows = syntheticRows(options.rows ?? 600, seed);
  const cut = Math.floor(rows.length * 0.8);
  const { artifact } = await trainBuiltin({
    algorithm: options.algorithm ?? 'mlp',
    params: options.algorithm === 'logistic' ? { epochs: 5 } : { epochs: 5, hidden: options.hidden ?? [8] },
    seed,
    train: rows.slice(0, cut),
    validation: rows.slice(cut),
  });
  return artifact;
}

export function sha256(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Writes `artifact` as `<dir>/<name>` and returns its path and sha256. */
export async function writeArtifact(dir: string, artifact: ModelArtifact, name = 'model.json'): Promise<{ path: string; sha256: string }> {
  const path = join(dir, name);
  const body = `${JSON.stringify(artifact)}\n`;
  await writeFile(path, body);
  return { path, sha256: sha256(body) };
}

/**
 * Trains the reference PyTorch trainer (infra/trainers/torch_mlp.py) on a
 * small synthetic CSV in `dir` (or on `parts` when given): model.json (with
 * the preprocessing), model.onnx and metrics.json. Undefined when `python`
 * cannot import torch.
 */
export async function trainTorchModel(
  dir: string,
  python = '/usr/bin/python3',
  options: { seed?: number; rows?: number; hidden?: number[]; epochs?: number; parts?: { train: TabularRows; validation: TabularRows; test: TabularRows } } = {},
): Promise<{ json: string; onnx: string; metrics: string; sha256: string } | undefined> {
  const { seed = 7, rows: count = 600, hidden = [8], epochs = 3 } = options;
  try {
    await run(python, ['-c', 'import torch']);
  } catch {
    return undefined;
  }
  let parts = options.parts;
  if (!parts) {
    const rows = syntheticRows(count, seed);
    const a = Math.floor(count * 0.7);
    const b = Math.floor(count * 0.85);
    parts = { train: rows.slice(0, a), validation: rows.slice(a, b), test: rows.slice(b) };
  }
  for (const [name, part] of Object.entries(parts)) await writeTabularCsv(join(dir, `${name}.csv`), { eventIds: part.map((_, i) => `${name}-${i}`), rows: part });
  const spec = {
    protocol: 'driftloop.trainer/1', run_id: 'gateway-test', trial: 0, attempt: 1, model: 'onnx-test',
    data: { format: 'csv', train: join(dir, 'train.csv'), validation: join(dir, 'validation.csv'), test: join(dir, 'test.csv') },
    params: { epochs, hidden, lr: 0.01, batchSize: 32 }, seed, metric: 'val_loss', device: 'cpu', output_dir: dir,
  };
  await writeFile(join(dir, 'spec.json'), JSON.stringify(spec));
  await run(python, [TORCH_MLP, join(dir, 'spec.json')], { timeout: 120_000 });
  const json = join(dir, 'model.json');
  return { json, onnx: join(dir, 'model.onnx'), metrics: join(dir, 'metrics.json'), sha256: sha256(await readFile(json)) };
}
