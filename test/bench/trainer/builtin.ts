/**
 * Builtin trainer speed on Elec2: rows x epochs per second for softmax
 * regression (the baseline: the same code path with no hidden layer) and
 * MLPs, plus prediction throughput from the JSON artifact.
 *
 *   npx tsx test/bench/trainer/builtin.ts [epochs]
 */
import { pathToFileURL } from 'node:url';
import { loadElec2 } from '../../../services/cli/demo/elec2.js';
import { compileModel, trainBuiltin, type BuiltinAlgorithm, type ParamValue, type TabularRows } from '../../../services/trainer/builtin/index.js';

export interface BuiltinBenchOptions {
  /** Epochs per measured run. @default 5 */
  epochs?: number;
  log?: (line: string) => void;
}

export interface BuiltinBenchResult {
  name: string;
  algorithm: BuiltinAlgorithm;
  params: Record<string, ParamValue>;
  trainRows: number;
  epochs: number;
  seconds: number;
  rowEpochsPerSecond: number;
  /** Accuracy on the last 2k rows after the last epoch (they are also in train: a sanity check, not a score). */
  valAccuracy: number;
  /** predictProba from the compiled JSON artifact over every row. */
  predictRowsPerSecond: number;
}

const CONFIGS: { name: string; algorithm: BuiltinAlgorithm; params: Record<string, ParamValue> }[] = [
  { name: 'logistic (baseline)', algorithm: 'logistic', params: { batchSize: 256, lr: 0.01 } },
  { name: 'mlp [32]', algorithm: 'mlp', params: { hidden: [32], batchSize: 256, lr: 0.01 } },
  { name: 'mlp [32] batch 32', algorithm: 'mlp', params: { hidden: [32], batchSize: 32, lr: 0.01 } },
  { name: 'mlp [64, 32]', algorithm: 'mlp', params: { hidden: [64, 32], batchSize: 256, lr: 0.01 } },
];

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

/** Trains each configuration on all of Elec2 for a few epochs and reports throughput. */
export async function runBuiltinBench(options: BuiltinBenchOptions = {}): Promise<BuiltinBenchResult[]> {
  const epochs = options.epochs ?? 5;
  const log = options.log ?? console.log;
  const train: TabularRows = loadElec2().map((r) => ({ numeric: { ...r.numeric }, categorical: { day: r.day }, label: r.label }));
  const validation = train.slice(-2000);
  log(`builtin trainers: Elec2, ${fmt(train.length)} rows (6 numeric + 1 categorical feature -> 13 inputs, 2 classes) x ${epochs} epochs, one thread; each epoch also scores ${fmt(validation.length)} validation rows`);

  const results: BuiltinBenchResult[] = [];
  for (const config of CONFIGS) {
    // One short run first so the measured one sees optimized code.
    await trainBuiltin({ algorithm: config.algorithm, params: { ...config.params, epochs: 1 }, seed: 1, train: train.slice(0, 5000), validation });
    const started = performance.now();
    const { artifact, history } = await trainBuiltin({ algorithm: config.algorithm, params: { ...config.params, epochs }, seed: 1, train, validation });
    const seconds = (performance.now() - started) / 1000;

    const model = compileModel(JSON.parse(JSON.stringify(artifact)));
    const predictStarted = performance.now();
    model.predictProba(train);
    const predictSeconds = (performance.now() - predictStarted) / 1000;

    const result: BuiltinBenchResult = {
      name: config.name,
      algorithm: config.algorithm,
      params: config.params,
      trainRows: train.length,
      epochs: history.length,
      seconds,
      rowEpochsPerSecond: (train.length * history.length) / seconds,
      valAccuracy: history.at(-1)!.metrics.val_accuracy,
      predictRowsPerSecond: train.length / predictSeconds,
    };
    results.push(result);
    log(`  ${config.name}: ${fmt(result.rowEpochsPerSecond)} rows x epochs/s (${(seconds / history.length).toFixed(2)} s per epoch); predict ${fmt(result.predictRowsPerSecond)} rows/s`);
  }
  const baseline = results[0]!.rowEpochsPerSecond;
  console.table(
    results.map((r) => ({
      model: r.name,
      'batch': r.params.batchSize,
      'rows x epochs/s': fmt(r.rowEpochsPerSecond),
      'vs logistic': `${(r.rowEpochsPerSecond / baseline).toFixed(2)}x`,
      's per epoch': (r.seconds / r.epochs).toFixed(2),
      'predict rows/s': fmt(r.predictRowsPerSecond),
      'accuracy (last 2k, seen)': r.valAccuracy.toFixed(3),
    })),
  );
  return results;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runBuiltinBench({ epochs: process.argv[2] === undefined ? undefined : Number(process.argv[2]) }).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
