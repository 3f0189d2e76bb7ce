/**
 * The search on a real tabular task: the builtin MLP on Elec2 (time-ordered
 * split: 12k rows train, the next 4k validation), minimizing the validation
 * log loss after up to 10 epochs.
 *
 * - Pruning: the same random-search study (same seeds, so the same params in
 *   the same order) without a pruner and with the median and Hyperband
 *   pruners; epochs trained and the best validation loss found.
 * - TPE against random search at an equal budget, over seeds.
 */
import { performance } from 'node:perf_hooks';
import { loadElec2 } from '../../../services/cli/demo/elec2.js';
import { trainBuiltin, type TabularRows } from '../../../services/trainer/builtin/index.js';
import { createPruner, createSampler, parseSearchSpace, runStudy, trialSeed, type PrunerConfig, type PrunerKind, type SamplerKind } from '../../../services/trainer/search/index.js';

const EPOCHS = 10;
const space = parseSearchSpace({
  lr: { type: 'logfloat', low: 1e-4, high: 1e-1 },
  hidden: { type: 'categorical', choices: [8, 16, 32] },
  l2: { type: 'logfloat', low: 1e-6, high: 1e-1 },
  batchSize: { type: 'categorical', choices: [32, 128] },
});

function elec2(): { train: TabularRows; validation: TabularRows } {
  const rows = loadElec2().map((r) => ({ numeric: { ...r.numeric }, categorical: { day: r.day }, label: r.label }));
  return { train: rows.slice(0, 12_000), validation: rows.slice(12_000, 16_000) };
}

interface StudyFigures {
  best: number;
  epochs: number;
  ms: number;
}

async function study(data: ReturnType<typeof elec2>, sampler: SamplerKind, pruner: PrunerKind | PrunerConfig, seed: number, trials: number): Promise<StudyFigures> {
  let epochs = 0;
  const started = performance.now();
  const result = await runStudy({
    space,
    sampler: createSampler(sampler),
    pruner: createPruner(pruner),
    direction: 'minimize',
    maxTrials: trials,
    seed,
    objective: async (trial) => {
      let pruned = false;
      const { history } = await trainBuiltin({
        algorithm: 'mlp',
        params: { epochs: EPOCHS, ...(trial.params as Record<string, number>) },
        seed: trialSeed(seed, trial.id),
        train: data.train,
        validation: data.validation,
        onEpoch: ({ epoch, metrics }) => {
          epochs++;
          pruned = trial.report(epoch, metrics.val_loss);
          return pruned ? 'stop' : 'continue';
        },
      });
      if (pruned) trial.prune();
      return history[history.length - 1]!.metrics.val_loss;
    },
  });
  return { best: result.best?.value ?? Number.NaN, epochs, ms: performance.now() - started };
}

export interface TabularBenchOptions {
  trials?: number;
  seeds?: number;
  log?: (line: string) => void;
}

export async function runTabularSearchBench(options: TabularBenchOptions = {}): Promise<{ pruning: Record<string, string>[]; samplers: Record<string, string>[] }> {
  const { trials = 24, seeds = 3, log = () => undefined } = options;
  const data = elec2();
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

  const pruning: Record<string, string>[] = [];
  const baseline: StudyFigures[] = [];
  const pruners: [string, PrunerKind | PrunerConfig][] = [
    ['none', 'none'],
    ['median', 'median'],
    ['median, 2 warm-up epochs', { kind: 'median', nWarmupSteps: 2 }],
    ['median, 3 warm-up epochs', { kind: 'median', nWarmupSteps: 3 }],
    ['successive halving (r=2, eta=3)', { kind: 'successiveHalving', minResource: 2, reductionFactor: 3 }],
    ['hyperband', 'hyperband'],
    ['hyperband (r=2, eta=3)', { kind: 'hyperband', minResource: 2, reductionFactor: 3 }],
  ];
  for (const [pruner, config] of pruners) {
    const runs: StudyFigures[] = [];
    for (let s = 1; s <= seeds; s++) runs.push(await study(data, 'random', config, s, trials));
    if (pruner === 'none') baseline.push(...runs);
    const epochs = mean(runs.map((r) => r.epochs));
    const best = mean(runs.map((r) => r.best));
    const saved = 1 - epochs / mean(baseline.map((r) => r.epochs));
    const worse = best / mean(baseline.map((r) => r.best)) - 1;
    log(`  pruning ${pruner}: ${epochs.toFixed(0)} epochs per study (${(saved * 100).toFixed(0)}% saved), best val loss ${best.toFixed(4)} (${(worse * 100).toFixed(2)}% vs no pruning), ${(mean(runs.map((r) => r.ms)) / 1000).toFixed(1)} s`);
    pruning.push({ pruner, 'epochs per study': epochs.toFixed(0), 'epochs saved': `${(saved * 100).toFixed(0)}%`, 'best val loss': best.toFixed(4), 'vs no pruning': `${(worse * 100).toFixed(2)}%` });
  }

  const samplers: Record<string, string>[] = [];
  for (const sampler of ['random', 'tpe'] as const) {
    const runs: StudyFigures[] = [];
    for (let s = 1; s <= seeds; s++) runs.push(await study(data, sampler, 'none', s, trials));
    const best = mean(runs.map((r) => r.best));
    log(`  ${sampler}: best val loss ${best.toFixed(4)} after ${trials} trials (per seed: ${runs.map((r) => r.best.toFixed(4)).join(', ')})`);
    samplers.push({ sampler, trials: String(trials), 'best val loss (mean)': best.toFixed(4), 'per seed': runs.map((r) => r.best.toFixed(4)).join(', ') });
  }
  return { pruning, samplers };
}
