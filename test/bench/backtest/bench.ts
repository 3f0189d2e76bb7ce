import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, migrate, silentLogger } from '../../../services/common/index.js';
import { BACKTEST_POLICIES, backtestTrainer, DAY_MS, policyArm, releaseSettings, scheduleArms, WEEK_MS } from '../../../services/cli/backtest/defaults.js';
import { elec2History, streamHistory, type History } from '../../../services/cli/backtest/history.js';
import { formatBacktest, onFrontier } from '../../../services/cli/backtest/report-text.js';
import { runBacktest, type BacktestResult } from '../../../services/cli/backtest/run.js';
import type { ArmResult, ArmSpec } from '../../../services/cli/backtest/types.js';

/** A difference of accuracies in points, with its sign. */
const signed = (d: number): string => `${d >= 0 ? '+' : ''}${(d * 100).toFixed(2)}`;

async function backtestOf(history: History, arms: ArmSpec[], prefix: string, dir: string, log: (line: string) => void): Promise<BacktestResult> {
  const ch = await createClickHouse({ url: `chdb:${join(dir, 'clickhouse')}`, database: 'driftloop', logger: silentLogger() });
  try {
    await migrate(ch, { logger: silentLogger() });
    const start = history.name === 'elec2' ? 16_080 : 4032;
    const result = await runBacktest({ clickhouse: ch, logger: silentLogger(), modelPrefix: prefix }, {
      records: history.records, startIndex: start, initialRecords: 12 * 7 * 48, labelDelayMs: 0, arms, trainer: backtestTrainer(), ...releaseSettings(process.env),
      latenessMs: 60_000, servedMs: DAY_MS, changePoints: history.changePoints, workDir: join(dir, 'work'),
    });
    log(formatBacktest(result));
    return result;
  } finally {
    await ch.close();
  }
}

/** Mean of a list. */
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/**
 * Each arm over several splits of the same history (each split key hashes
 * the rows into train/validation/test its own way): the mean accuracy and
 * deployments, the range, and the frontier judged on the means. One split's
 * figures move by up to a point; a verdict that holds on the means is worth
 * quoting.
 */
function acrossSplits(results: readonly BacktestResult[]): { lines: string[]; means: ArmResult[] } {
  const means = results[0]!.arms.map((arm, i) => {
    const runs = results.map((r) => r.arms[i]!);
    return { ...arm, accuracy: mean(runs.map((a) => a.accuracy)), retrains: { ...arm.retrains, promoted: mean(runs.map((a) => a.retrains.promoted)), requested: mean(runs.map((a) => a.retrains.requested)) } };
  });
  const lines = means.map((m, i) => {
    const accs = results.map((r) => r.arms[i]!.accuracy * 100);
    const deployed = results.map((r) => r.arms[i]!.retrains.promoted);
    const frontier = onFrontier(m, means);
    return `  ${m.name.padEnd(34)} ${(m.accuracy * 100).toFixed(2)}% (${Math.min(...accs).toFixed(2)}..${Math.max(...accs).toFixed(2)}), deployed ${m.retrains.promoted.toFixed(1)} (${deployed.join(', ')}) of ${m.retrains.requested.toFixed(1)} requested${frontier === undefined ? '' : frontier ? ', on the frontier of the means' : ', below the frontier of the means'}`;
  });
  return { lines, means };
}

/**
 * `npm run bench -- backtest`: every policy next to the schedules, measured
 * in the same run with the same trainer, on Elec2 and on generated streams
 * (no drift, inputs drifting without concept drift, abrupt and gradual SEA
 * concepts, a rotating hyperplane), with the targets' verdicts. Candidates
 * are judged by the evaluator's gates and the canary's checks as EVAL_* and
 * ROLLOUT_* set them (their defaults unless set), so a setting can be
 * measured against its default, e.g. EVAL_TEST_SPLIT_ROWS=1000000 to judge
 * on the whole test split.
 */
export async function runBacktestBench(options: { log: (line: string) => void; streams: boolean; splits: number }): Promise<void> {
  const { log } = options;
  const dir = await mkdtemp(join(tmpdir(), 'driftloop-bench-backtest-'));
  const policies = Object.entries(BACKTEST_POLICIES).map(([name, keys]) => policyArm(name, keys));
  try {
    const started = performance.now();
    log('backtest on Elec2: first champion trained on the 12 weeks before record 16,080, the rest replayed; builtin logistic regression for every retrain');
    const elec2Arms: ArmSpec[] = [{ kind: 'never', name: 'never' }, ...scheduleArms(4 * WEEK_MS), ...policies];
    const elec2 = await backtestOf(elec2History(), elec2Arms, 'elec2', join(dir, 'elec2'), log);
    const weekly = elec2.arms.find((a) => a.name === 'every 1 week')!;
    for (const p of elec2.arms.filter((a) => a.kind === 'policy')) {
      log(`  ${p.name}: ${onFrontier(p, elec2.arms) ? 'on or above' : 'below'} the schedules' frontier; ${(p.accuracy * 100).toFixed(2)}% with ${p.retrains.promoted} retrains deployed vs the weekly schedule's ${(weekly.accuracy * 100).toFixed(2)}% with ${weekly.retrains.promoted} (aim: that accuracy with at most ${Math.floor(weekly.retrains.promoted / 4)})`);
    }
    log(`  Elec2 with ${elec2.arms.length} arms: ${((performance.now() - started) / 1000).toFixed(0)} s`);
    if (options.splits > 1) {
      // The same arms on other splits of the same records: how much of a difference is the split's.
      const results = [elec2];
      for (let k = 1; k < options.splits; k++) results.push(await backtestOf(elec2History(), elec2Arms, `elec2s${k}`, join(dir, `elec2s${k}`), () => undefined));
      log(`\nElec2 over ${options.splits} splits (split keys elec2, ${Array.from({ length: options.splits - 1 }, (_, k) => `elec2s${k + 1}`).join(', ')}): mean accuracy (range), retrains deployed (per split)`);
      for (const line of acrossSplits(results).lines) log(line);
    }
    if (!options.streams) return;
    for (const name of ['stationary', 'covariate-shift', 'sea', 'sea-gradual', 'hyperplane'] as const) {
      log(`\nbacktest on the generated stream ${name} (40,000 records, seed 1)`);
      const result = await backtestOf(streamHistory(name, 1), [{ kind: 'never', name: 'never' }, ...scheduleArms(4 * WEEK_MS, [1, 4, 13]), ...policies], name.replace('-', '_'), join(dir, name), log);
      const never = result.arms.find((a) => a.kind === 'never')!;
      const bestSchedule = Math.max(...result.arms.filter((a) => a.kind === 'schedule').map((a) => a.accuracy));
      const quarterly = result.arms.find((a) => a.name === 'every 13 weeks')!;
      for (const p of result.arms.filter((a) => a.kind === 'policy')) {
        if (name === 'stationary') log(`  ${p.name}: ${p.retrains.promoted} retrains deployed (target at most 1), accuracy ${signed(p.accuracy - never.accuracy)} points against never retraining (target: at most 0.5 below)`);
        else if (name === 'covariate-shift') log(`  ${p.name}: ${p.retrains.promoted} retrains deployed (target at most the 13-week schedule's ${quarterly.retrains.promoted}), accuracy ${signed(p.accuracy - bestSchedule)} points against the best schedule (target: at most 0.5 below)`);
        else log(`  ${p.name}: ${onFrontier(p, result.arms) ? 'on or above' : 'below'} the schedules' frontier`);
      }
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
