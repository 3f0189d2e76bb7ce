/**
 * TPE against random search at equal trial budgets on standard benchmark
 * functions (the real tabular task with the builtin trainer is added beside
 * this). Both minimise; each sampler runs the same seeds; the figures are the
 * mean best-so-far over seeds at a few trial counts, and how many trials TPE
 * needs to reach the best value random search found in the whole budget.
 */
import { performance } from 'node:perf_hooks';
import {
  createRandomSampler,
  createTpeSampler,
  parseSearchSpace,
  runStudy,
  type Params,
  type Sampler,
  type SearchSpace,
} from '../../../services/trainer/search/index.js';

export interface BenchFunction {
  name: string;
  space: SearchSpace;
  /** Known global minimum, for the regret column. */
  globalMin: number;
  evaluate(params: Params): number;
}

/** Branin-Hoo on [-5, 10] x [0, 15]; three global minima of 0.397887. */
export const branin: BenchFunction = {
  name: 'Branin (2-D)',
  space: parseSearchSpace({ x1: { type: 'float', low: -5, high: 10 }, x2: { type: 'float', low: 0, high: 15 } }),
  globalMin: 0.397887,
  evaluate(p) {
    const x1 = p.x1 as number;
    const x2 = p.x2 as number;
    const b = 5.1 / (4 * Math.PI ** 2);
    const c = 5 / Math.PI;
    const t = 1 / (8 * Math.PI);
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * Math.cos(x1) + 10;
  },
};

const H6_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H6_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H6_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
].map((row) => row.map((v) => v * 1e-4));

/** Hartmann-6 on [0, 1]^6; global minimum -3.32237. */
export const hartmann6: BenchFunction = {
  name: 'Hartmann-6',
  space: parseSearchSpace(Object.fromEntries(Array.from({ length: 6 }, (_, j) => [`x${j + 1}`, { type: 'float', low: 0, high: 1 }]))),
  globalMin: -3.32237,
  evaluate(p) {
    const x = Array.from({ length: 6 }, (_, j) => p[`x${j + 1}`] as number);
    let sum = 0;
    for (let i = 0; i < 4; i++) {
      let inner = 0;
      for (let j = 0; j < 6; j++) inner += H6_A[i]![j]! * (x[j]! - H6_P[i]![j]!) ** 2;
      sum += H6_ALPHA[i]! * Math.exp(-inner);
    }
    return -sum;
  },
};

export interface SearchBenchOptions {
  /** Trials per study. @default 100 */
  trials?: number;
  /** Seeds per sampler and function (1..seeds). @default 5 */
  seeds?: number;
  /** Trial counts the curves are reported at. @default [10, 25, 50, 100] */
  checkpoints?: number[];
  functions?: BenchFunction[];
  log?: (line: string) => void;
}

export interface SamplerCurve {
  /** Mean over seeds of the best value after each checkpoint's trial count. */
  meanBestAt: number[];
  /** Per seed, best-so-far after every trial. */
  bestSoFar: number[][];
  /** Wall time per trial, sampling included (the objectives are microseconds). */
  msPerTrial: number;
}

export interface SearchBenchFunctionResult {
  name: string;
  dims: number;
  globalMin: number;
  checkpoints: number[];
  tpe: SamplerCurve;
  random: SamplerCurve;
  /** Per seed: the first trial at which TPE's best reached random search's final best; undefined if it never did. */
  tpeTrialsToRandomBest: (number | undefined)[];
  /** The same on the mean curves. */
  meanCurveTrialsToRandomBest: number | undefined;
}

export interface SearchBenchResult {
  trials: number;
  seeds: number;
  functions: SearchBenchFunctionResult[];
}

async function curveFor(fn: BenchFunction, sampler: () => Sampler, trials: number, seeds: number, checkpoints: number[]): Promise<SamplerCurve> {
  const bestSoFar: number[][] = [];
  const started = performance.now();
  for (let seed = 1; seed <= seeds; seed++) {
    const result = await runStudy({ space: fn.space, sampler: sampler(), direction: 'minimize', maxTrials: trials, seed, objective: async ({ params }) => fn.evaluate(params) });
    let best = Infinity;
    bestSoFar.push(result.trials.map((t) => (best = Math.min(best, t.value ?? Infinity))));
  }
  const msPerTrial = (performance.now() - started) / (trials * seeds);
  const meanBestAt = checkpoints.map((n) => bestSoFar.reduce((s, curve) => s + curve[Math.min(n, curve.length) - 1]!, 0) / seeds);
  return { meanBestAt, bestSoFar, msPerTrial };
}

function firstReaching(curve: readonly number[], target: number): number | undefined {
  const index = curve.findIndex((v) => v <= target);
  return index < 0 ? undefined : index + 1;
}

function meanCurve(curves: readonly number[][]): number[] {
  return curves[0]!.map((_, i) => curves.reduce((s, c) => s + c[i]!, 0) / curves.length);
}

export async function runSearchBench(options: SearchBenchOptions = {}): Promise<SearchBenchResult> {
  const trials = options.trials ?? 100;
  const seeds = options.seeds ?? 5;
  const checkpoints = (options.checkpoints ?? [10, 25, 50, 100]).filter((n) => n <= trials);
  const log = options.log ?? ((): void => {});
  const functions: SearchBenchFunctionResult[] = [];

  for (const fn of options.functions ?? [branin, hartmann6]) {
    const tpe = await curveFor(fn, () => createTpeSampler(), trials, seeds, checkpoints);
    const random = await curveFor(fn, () => createRandomSampler(), trials, seeds, checkpoints);
    const tpeTrialsToRandomBest = random.bestSoFar.map((curve, i) => firstReaching(tpe.bestSoFar[i]!, curve[curve.length - 1]!));
    const randomMean = meanCurve(random.bestSoFar);
    const meanCurveTrialsToRandomBest = firstReaching(meanCurve(tpe.bestSoFar), randomMean[randomMean.length - 1]!);
    const result: SearchBenchFunctionResult = {
      name: fn.name,
      dims: Object.keys(fn.space).length,
      globalMin: fn.globalMin,
      checkpoints,
      tpe,
      random,
      tpeTrialsToRandomBest,
      meanCurveTrialsToRandomBest,
    };
    functions.push(result);
    const reached = tpeTrialsToRandomBest.map((n) => (n === undefined ? `>${trials}` : String(n))).join(', ');
    log(
      `  ${fn.name}: TPE reaches random search's ${trials}-trial best in ${meanCurveTrialsToRandomBest ?? `>${trials}`} trials on the mean curve (per seed: ${reached}); ` +
        `sampling cost ${tpe.msPerTrial.toFixed(2)} ms/trial TPE, ${random.msPerTrial.toFixed(3)} ms/trial random`,
    );
  }
  return { trials, seeds, functions };
}

/** Rows for console.table: one per function and sampler, the mean best-so-far (and regret) at each checkpoint. */
export function searchBenchRows(result: SearchBenchResult): Record<string, string>[] {
  return result.functions.flatMap((fn) =>
    (['tpe', 'random'] as const).map((kind) => {
      const curve = fn[kind];
      const row: Record<string, string> = { function: fn.name, sampler: kind === 'tpe' ? 'TPE' : 'random' };
      fn.checkpoints.forEach((n, i) => {
        const best = curve.meanBestAt[i]!;
        row[`best @${n}`] = `${best.toFixed(4)} (regret ${(best - fn.globalMin).toFixed(4)})`;
      });
      row[`trials to random's best`] = kind === 'tpe' ? String(fn.meanCurveTrialsToRandomBest ?? `>${result.trials}`) : String(result.trials);
      return row;
    }),
  );
}
