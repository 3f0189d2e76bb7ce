/**
 * The PyTorch reference trainer through the executor, on all of Elec2:
 * seconds per epoch on CPU (and on each GPU slot when there is one), next to
 * the builtin TypeScript MLP with the same params on the same rows, measured
 * in the same run. The process start (Python, torch import) is reported apart.
 *
 *   npx tsx test/bench/trainer/torch.ts [epochs]
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { silentLogger } from '../../../services/common/index.js';
import { loadElec2 } from '../../../services/cli/demo/elec2.js';
import { predict, readTabularCsv, trainBuiltin } from '../../../services/trainer/builtin/index.js';
import { findTorchPython } from '../../../services/trainer/environment.js';
import { discoverSlots, runTrainerCommand, type Slot } from '../../../services/trainer/executor/index.js';
import { torchTrainer } from '../../../services/trainer/spec.js';
import { tempDir } from '../../support/index.js';

export interface TorchBenchRow {
  trainer: string;
  device: string;
  epochSeconds: number;
  /** Wall time of the whole trial less its epochs: process start, torch import, data, export. */
  overheadSeconds: number;
  testAccuracy: number;
}

const PARAMS = { hidden: [64, 32], batchSize: 256, lr: 0.003 };

/** Elec2 as snapshot files: the first 70% train, then 15% validation and 15% test, in time order. */
async function writeSplits(dir: string): Promise<{ train: string; validation: string; test: string }> {
  const rows = loadElec2();
  const header = 'event_id,label,num:nswdemand,num:nswprice,num:period,num:transfer,num:vicdemand,num:vicprice,cat:day';
  const line = (r: (typeof rows)[number]): string =>
    [`e${r.index}`, r.label, r.numeric.nswdemand, r.numeric.nswprice, r.numeric.period, r.numeric.transfer, r.numeric.vicdemand, r.numeric.vicprice, `"${r.day}"`].join(',');
  const a = Math.floor(rows.length * 0.7);
  const b = Math.floor(rows.length * 0.85);
  const parts = { train: rows.slice(0, a), validation: rows.slice(a, b), test: rows.slice(b) };
  const paths = { train: join(dir, 'train.csv'), validation: join(dir, 'validation.csv'), test: join(dir, 'test.csv') };
  for (const [split, part] of Object.entries(parts)) await writeFile(paths[split as keyof typeof paths], `${header}\n${part.map(line).join('\n')}\n`);
  return paths;
}

export async function runTorchBench(options: { epochs?: number; log?: (line: string) => void } = {}): Promise<TorchBenchRow[] | undefined> {
  const epochs = options.epochs ?? 5;
  const log = options.log ?? console.log;
  const python = await findTorchPython(process.env.TRAINER_PYTHON ?? 'auto');
  if (!python) {
    log('torch: skipped, no Python that imports torch (infra/dev/setup.sh installs python3-torch)');
    return undefined;
  }
  const dir = await tempDir('driftloop-torch-bench-');
  const data = await writeSplits(dir);
  const gpuSlots = (await discoverSlots({ gpus: 'auto', cpuSlots: 1 })).filter((s) => s.device === 'cuda');
  const cpu: Slot = { id: 'cpu:0', device: 'cpu', visibleDevices: '', name: 'cpu' };
  log(`torch: Elec2 ${fmt(45_312 * 0.7)} train rows, MLP ${JSON.stringify(PARAMS.hidden)}, batch ${PARAMS.batchSize}, ${epochs} epochs, through the executor; slots: cpu${gpuSlots.map((s) => `, ${s.id} ${s.name}`).join('')}`);

  const rows: TorchBenchRow[] = [];
  // The baseline: the builtin MLP, same params, same rows, in this process.
  const [train, validation, test] = await Promise.all([data.train, data.validation, data.test].map(async (p) => (await readTabularCsv(p)).rows));
  const started = performance.now();
  const { history, artifact } = await trainBuiltin({ algorithm: 'mlp', params: { ...PARAMS, epochs }, seed: 1, train: train!, validation: validation! });
  const builtinSeconds = (performance.now() - started) / 1000;
  const predictions = predict(artifact, test!);
  rows.push({
    trainer: 'builtin (TypeScript)', device: 'cpu, 1 thread', epochSeconds: builtinSeconds / history.length, overheadSeconds: 0,
    testAccuracy: predictions.filter((p, i) => p.label === test![i]!.label).length / test!.length,
  });

  for (const slot of [cpu, ...gpuSlots]) {
    const begun = performance.now();
    const result = await runTrainerCommand({
      argv: torchTrainer(python).command,
      spec: { run_id: 'bench', trial: 0, attempt: 1, model: 'elec2', data: { format: 'csv', ...data }, params: { ...PARAMS, epochs }, seed: 1, metric: 'val_loss' },
      outputDir: join(dir, slot.id.replace(':', '-')),
      slot,
      timeoutMs: 600_000,
      logger: silentLogger(),
    });
    const wall = (performance.now() - begun) / 1000;
    if (result.status !== 'success') throw new Error(`torch trial on ${slot.id} was ${result.status}`);
    const epochSeconds = result.result.metrics.epoch_seconds!;
    rows.push({ trainer: 'torch_mlp.py', device: result.result.device ?? slot.id, epochSeconds, overheadSeconds: wall - epochSeconds * epochs, testAccuracy: result.result.metrics.test_accuracy! });
  }
  const baseline = rows[0]!.epochSeconds;
  const torchCpu = rows[1]!.epochSeconds;
  console.table(rows.map((r) => ({
    trainer: r.trainer,
    device: r.device,
    's per epoch': r.epochSeconds.toFixed(3),
    'vs builtin': `${(baseline / r.epochSeconds).toFixed(1)}x`,
    'vs torch CPU': r.trainer === 'torch_mlp.py' ? `${(torchCpu / r.epochSeconds).toFixed(1)}x` : '',
    'start + export s': r.overheadSeconds.toFixed(2),
    'test accuracy': r.testAccuracy.toFixed(3),
  })));
  if (gpuSlots.length === 0) log('  no GPU here (nvidia-smi lists none): GPU vs CPU epoch time is measured where a GPU slot exists');
  return rows;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runTorchBench({ epochs: process.argv[2] === undefined ? undefined : Number(process.argv[2]) }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
