import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClickHouse, migrate, silentLogger, type ClickHouse } from '../../../services/common/index.js';
import type { ReferenceProfile } from '../../../services/drift/profile.js';
import { buildReferenceProfile } from '../../../services/drift/reference.js';
import type { WindowBounds } from '../../../services/drift/sql/window-query.js';
import { statisticKey, windowStatistics, type Statistic } from '../../../services/drift/statistics.js';
import { computeWindow } from '../../../services/drift/window-stats.js';
import { computeAsWritten, computeTuned, pullWindow, type Compute } from './baseline.js';
import { generateFeatureRows } from './data.js';

const MODEL = 'bench';
const EPSILON = 1e-4;
/** Reference rows start here, one per ms. */
const REFERENCE_FROM_MS = Date.UTC(2026, 0, 1);
/** Window rows start a day later, one per ms; every window size is a prefix of the same rows. */
const WINDOW_FROM_MS = REFERENCE_FROM_MS + 86_400_000;
const WINDOW_RUNS = 3;

export interface DriftBenchOptions {
  /** Window sizes in rows, ascending; the rows are generated once, for the largest. */
  sizes: number[];
  /** Reference rows the profile is built from. */
  referenceRows: number;
  /** Largest window the baseline pulls into Node; above it the baseline is extrapolated from the largest measured. */
  baselineMaxRows: number;
  /** Largest window the drift-reference.ts baseline computes on; above it, extrapolated from the largest measured. */
  asWrittenMaxRows: number;
  log: (line: string) => void;
}

/** A baseline timing; `measured: false` when scaled linearly (per row) from a smaller window. */
export interface BaselineTiming {
  pullMs: number;
  computeMs: number;
  measured: boolean;
}

export interface DriftWindowResult {
  rows: number;
  /** computeWindow, the one query, over WINDOW_RUNS runs. */
  windowMs: { best: number; median: number; runs: number[] };
  /** Share of the machine's CPU time other processes used while the query ran (the timings assume an idle machine). */
  otherCpuShare: number;
  /** Pull plus the tuned Node compute. */
  tuned: BaselineTiming;
  /** Pull plus test/support/drift-reference.ts as written. */
  asWritten: BaselineTiming;
  /** Largest difference between the query's statistics (p-values included) and the baselines': relative, absolute for values below 1; NaN where not measured. */
  maxRelativeDifference: number;
}

export interface DriftBenchResult {
  referenceRows: number;
  features: { numeric: number; categorical: number };
  generateMs: number;
  optimizeMs: number;
  referenceBuildMs: number;
  windows: DriftWindowResult[];
}

const since = (t0: number): number => performance.now() - t0;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/**
 * The drift report of one window, computed in ClickHouse (chDB) with the
 * monitor's one query, against the same statistics computed in Node from the
 * window's rows pulled through the same client: per window size, the query's
 * best and median of WINDOW_RUNS runs, and the baselines measured once (pull
 * and compute timed apart). The rows are generated in SQL: 20 numeric and 3
 * categorical features, a few of them drifted in the window.
 */
export async function runDriftBench(options: DriftBenchOptions): Promise<DriftBenchResult> {
  const { sizes, referenceRows, log } = options;
  const largest = Math.max(...sizes);
  const dir = await mkdtemp(join(tmpdir(), 'driftloop-bench-drift-'));
  const clickhouse = await createClickHouse({ url: `chdb:${dir}`, database: 'bench_drift', logger: silentLogger() });
  try {
    await migrate(clickhouse, { logger: silentLogger() });
    let t0 = performance.now();
    await generateFeatureRows(clickhouse, { model: MODEL, fromMs: REFERENCE_FROM_MS, rows: referenceRows, firstOffset: 0, drifted: false });
    await generateFeatureRows(clickhouse, { model: MODEL, fromMs: WINDOW_FROM_MS, rows: largest, firstOffset: referenceRows, drifted: true });
    const generateMs = since(t0);
    // One part, and no background merge competing with the timed queries.
    t0 = performance.now();
    await clickhouse.command('OPTIMIZE TABLE {db:Identifier}.features FINAL');
    const optimizeMs = since(t0);
    log(`  generated ${referenceRows.toLocaleString('en-US')} reference + ${largest.toLocaleString('en-US')} window rows in SQL: ${(generateMs / 1000).toFixed(1)} s, merged into one part: ${(optimizeMs / 1000).toFixed(1)} s`);

    t0 = performance.now();
    const profile = await buildReferenceProfile(clickhouse, { model: MODEL, modelVersion: 'bench', from: REFERENCE_FROM_MS, to: REFERENCE_FROM_MS + referenceRows, adaptiveChunks: 0 });
    const referenceBuildMs = since(t0);
    log(`  reference profile (grid K = 1000, ${profile.numeric.length} numeric + ${profile.categorical.length} categorical features): ${(referenceBuildMs / 1000).toFixed(2)} s`);

    const asWritten = computeAsWritten(await pullReference(clickhouse, profile, referenceRows));
    const bounds = (rows: number): WindowBounds => ({ model: MODEL, start: WINDOW_FROM_MS, end: WINDOW_FROM_MS + rows });
    // Untimed: the process's first query pays for loading and compiling what every later one reuses.
    await computeWindow(clickhouse, profile, bounds(Math.min(...sizes)), { epsilon: EPSILON });

    const windows: DriftWindowResult[] = [];
    let lastTuned: { rows: number; timing: BaselineTiming } | undefined;
    let lastAsWritten: { rows: number; timing: BaselineTiming } | undefined;
    for (const rows of sizes) {
      const runs: number[] = [];
      const cpu = startCpuMeter();
      let statistics: Statistic[] = [];
      for (let run = 0; run < WINDOW_RUNS; run++) {
        t0 = performance.now();
        const windowRows = await computeWindow(clickhouse, profile, bounds(rows), { epsilon: EPSILON });
        runs.push(since(t0));
        statistics = windowStatistics(windowRows, profile);
      }
      const windowMs = { best: Math.min(...runs), median: median(runs), runs };
      const otherCpuShare = cpu.otherShare();
      log(`  ${rows.toLocaleString('en-US')} rows: window query best ${windowMs.best.toFixed(0)} ms, median ${windowMs.median.toFixed(0)} ms (${runs.map((r) => r.toFixed(0)).join(', ')}); other processes used ${(otherCpuShare * 100).toFixed(0)}% of the CPUs meanwhile`);

      let tuned: BaselineTiming;
      let written: BaselineTiming;
      let maxRelativeDifference = Number.NaN;
      if (rows <= options.baselineMaxRows) {
        t0 = performance.now();
        const columns = await pullWindow(clickhouse, profile, bounds(rows));
        const pullMs = since(t0);
        const measure = (compute: Compute): { ms: number; stats: Statistic[] } => {
          const start = performance.now();
          const stats = windowStatistics(compute(columns, profile, { epsilon: EPSILON }), profile);
          return { ms: since(start), stats };
        };
        const fast = measure(computeTuned);
        tuned = { pullMs, computeMs: fast.ms, measured: true };
        maxRelativeDifference = compareStatistics(statistics, fast.stats);
        if (rows <= options.asWrittenMaxRows) {
          const slow = measure(asWritten);
          written = { pullMs, computeMs: slow.ms, measured: true };
          maxRelativeDifference = Math.max(maxRelativeDifference, compareStatistics(statistics, slow.stats));
        } else {
          written = { pullMs, computeMs: scale(lastAsWritten, rows).computeMs, measured: false };
        }
        log(`    baseline: pull ${pullMs.toFixed(0)} ms; compute tuned ${tuned.computeMs.toFixed(0)} ms, drift-reference.ts ${written.computeMs.toFixed(0)} ms${written.measured ? '' : ' (extrapolated)'}; statistics and p-values agree with the query's to ${maxRelativeDifference.toExponential(1)}`);
      } else {
        tuned = scale(lastTuned, rows);
        written = scale(lastAsWritten, rows);
        log(`    baseline extrapolated per row from ${lastTuned?.rows.toLocaleString('en-US')} rows: pull ~${tuned.pullMs.toFixed(0)} ms, compute tuned ~${tuned.computeMs.toFixed(0)} ms, drift-reference.ts ~${written.computeMs.toFixed(0)} ms`);
      }
      if (tuned.measured) lastTuned = { rows, timing: tuned };
      if (written.measured) lastAsWritten = { rows, timing: written };
      windows.push({ rows, windowMs, otherCpuShare, tuned, asWritten: written, maxRelativeDifference });
    }
    return {
      referenceRows,
      features: { numeric: profile.numeric.length, categorical: profile.categorical.length },
      generateMs,
      optimizeMs,
      referenceBuildMs,
      windows,
    };
  } finally {
    await clickhouse.close();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Measures the CPU time the rest of the machine uses from now on: all busy
 * time in /proc/stat less this process's own (chDB runs inside it). NaN
 * where /proc is missing.
 */
function startCpuMeter(): { otherShare: () => number } {
  const busyMs = (): number => {
    try {
      const [user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
      // USER_HZ is 100 on Linux: 10 ms per tick.
      return (user! + nice! + system! + irq! + softirq! + steal!) * 10;
    } catch {
      return Number.NaN;
    }
  };
  const ownMs = (): number => {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  };
  const start = { busy: busyMs(), own: ownMs(), wall: performance.now() };
  return {
    otherShare: () => {
      const other = busyMs() - start.busy - (ownMs() - start.own);
      return Math.max(0, other) / ((performance.now() - start.wall) * availableParallelism());
    },
  };
}

/** A measured baseline scaled linearly to `rows`: pulling and computing are both one pass over the rows. */
function scale(from: { rows: number; timing: BaselineTiming } | undefined, rows: number): BaselineTiming {
  if (!from) return { pullMs: Number.NaN, computeMs: Number.NaN, measured: false };
  const factor = rows / from.rows;
  return { pullMs: from.timing.pullMs * factor, computeMs: from.timing.computeMs * factor, measured: false };
}

/** The reference sample per numeric feature, which the drift-reference.ts baseline keeps in memory (not timed). */
async function pullReference(clickhouse: ClickHouse, profile: ReferenceProfile, referenceRows: number): Promise<Map<string, number[]>> {
  const columns = await pullWindow(clickhouse, profile, { model: MODEL, start: REFERENCE_FROM_MS, end: REFERENCE_FROM_MS + referenceRows });
  return new Map([...columns.numeric].map(([feature, values]) => [feature, Array.from(values).filter((x) => !Number.isNaN(x))]));
}

/** Largest difference between two sets of statistics and their p-values, matched by key: relative, absolute for values below 1. */
function compareStatistics(expected: readonly Statistic[], actual: readonly Statistic[]): number {
  const byKey = new Map(actual.map((s) => [`${statisticKey(s)}:${s.variant}`, s]));
  let worst = 0;
  for (const e of expected) {
    const a = byKey.get(`${statisticKey(e)}:${e.variant}`);
    if (!a) return Number.POSITIVE_INFINITY;
    for (const [x, y] of [
      [e.value, a.value],
      [e.pValue ?? 0, a.pValue ?? 0],
    ] as const) {
      if (Number.isNaN(x) && Number.isNaN(y)) continue;
      worst = Math.max(worst, Math.abs(x - y) / Math.max(1, Math.abs(x)));
    }
  }
  return worst;
}
