/**
 * The prediction gateway under load on loopback: p50/p99 latency and
 * throughput at a fixed offered rate (open loop, 2,000 requests/s by default)
 * for the same network served by the builtin predictor and by onnxruntime,
 * each with and without a shadow version, next to the baseline measured in
 * the same run: the same model called directly in this process at the same
 * rate. Prints figures; asserts nothing about time.
 *
 *   npm run bench -- gateway [--gateway-rate 2000] [--gateway-seconds 5] [--gateway-rounds 3]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { loadVersion, type Scorer } from '../../../services/gateway/index.js';
import { syntheticRows, sha256 } from '../../support/served-models.js';
import { readFile } from 'node:fs/promises';
import { HIDDEN, startBenchGateway } from './setup.js';

const WORKER = fileURLToPath(new URL('./load-worker.mjs', import.meta.url));

export interface LoadFigures {
  scenario: string;
  requests: number;
  /** Completed requests per second, over the rounds. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  failed: number;
}

type LoadSpec = { mode: 'open'; rate: number; count: number; method?: 'GET' | 'POST' } | { mode: 'closed'; concurrency: number; durationMs: number };

/** Latencies of one scenario, pooled over its rounds. */
interface Samples {
  latencies: number[];
  elapsedMs: number;
  failed: number;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function figures(scenario: string, s: Samples): LoadFigures {
  const sorted = Float64Array.from(s.latencies).sort();
  return { scenario, requests: sorted.length, throughput: (sorted.length / s.elapsedMs) * 1000, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted[sorted.length - 1] ?? NaN, failed: s.failed };
}

/** Runs the load generator thread against `url`. */
function runLoad(url: string, bodies: string[], spec: LoadSpec): Promise<Samples> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { url, bodies, ...spec } });
    worker.once('message', (m: { latencies: Float64Array; statuses: Record<string, number>; elapsedMs: number }) => {
      const failed = Object.entries(m.statuses).reduce((n, [status, count]) => n + (status === '200' ? 0 : count), 0);
      void worker.terminate();
      resolve({ latencies: Array.from(m.latencies), elapsedMs: m.elapsedMs, failed });
    });
    worker.once('error', reject);
  });
}

/** The baseline: the scorer the gateway uses, called directly on one row at a time, at the same offered rate; the time of each call. */
async function runDirect(scorer: Scorer, rows: ReturnType<typeof syntheticRows>, rate: number, count: number): Promise<Samples> {
  const latencies: number[] = [];
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const tick = async (): Promise<void> => {
      const due = Math.min(count, Math.floor(((performance.now() - started) * rate) / 1000) + 1);
      while (latencies.length < due) {
        const t0 = performance.now();
        await scorer.score([rows[latencies.length % rows.length]!]);
        latencies.push(performance.now() - t0);
      }
      if (latencies.length < count) setTimeout(() => void tick(), 1);
      else resolve();
    };
    void tick();
  });
  return { latencies, elapsedMs: performance.now() - started, failed: 0 };
}

function pool(into: Map<string, Samples>, scenario: string, s: Samples): void {
  const all = into.get(scenario);
  if (!all) into.set(scenario, { ...s, latencies: [...s.latencies] });
  else {
    for (const l of s.latencies) all.latencies.push(l);
    all.elapsedMs += s.elapsedMs;
    all.failed += s.failed;
  }
}

async function metricTotal(registry: { getMetricsAsJSON(): Promise<{ name: string; values: { value: number }[] }[]> }, name: string): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  return m ? m.values.reduce((n, v) => n + v.value, 0) : 0;
}

export interface GatewayBenchOptions {
  /** Offered requests per second. @default 2000 */
  rate?: number;
  /** Seconds per scenario per round. @default 5 */
  seconds?: number;
  /** Rounds; scenarios alternate within each, so drift on a shared machine hits all alike. @default 3 */
  rounds?: number;
  log?: (line: string) => void;
}

export async function runGatewayBench(options: GatewayBenchOptions = {}): Promise<LoadFigures[]> {
  const rate = options.rate ?? 2000;
  const rounds = options.rounds ?? 3;
  const count = Math.round(rate * (options.seconds ?? 5));
  const log = options.log ?? console.log;
  const bench = await startBenchGateway();
  const rows = syntheticRows(1000, 77);
  const bodies = rows.map((r, i) => JSON.stringify({ instances: [{ entity_id: `e-${i}`, numeric: r.numeric, categorical: r.categorical }] }));
  const samples = new Map<string, Samples>();
  try {
    log(`gateway: POST /v1/models/<name>:predict, one instance per request, MLP ${JSON.stringify(HIDDEN)} on 2 numeric + 1 categorical features; ${rounds} rounds x ${count.toLocaleString('en-US')} requests per scenario at ${rate.toLocaleString('en-US')}/s (open loop, keep-alive, load generator in a worker thread); features and predictions emitted to the embedded Kafka${bench.models.onnx ? '' : '; ONNX scenarios skipped: no Python that imports torch'}`);
    const jsonSha = sha256(await readFile(bench.files.json));
    const scorers: Record<string, Scorer> = {};
    for (const format of ['driftloop.builtin', 'onnx'] as const) {
      if (format === 'onnx' && !bench.files.onnx) continue;
      const artifacts: Record<string, string> = format === 'onnx' ? { model: bench.files.json, onnx: bench.files.onnx! } : { model: bench.files.json };
      scorers[format === 'onnx' ? 'onnx' : 'builtin'] = await loadVersion({ model: 'direct', version: '1', artifactUri: bench.files.json, artifactSha256: jsonSha, artifactFormat: format, artifacts });
    }
    const url = (model: string): string => `${bench.runtime.url}/v1/models/${model}:predict`;
    const scenarios: [string, () => Promise<Samples>][] = [['HTTP floor: GET /v2/health/live', () => runLoad(`${bench.runtime.url}/v2/health/live`, bodies, { mode: 'open', rate, count, method: 'GET' })]];
    for (const [kind, plain, shadow] of [['builtin', bench.models.builtin, bench.models.builtinShadow], ['onnx', bench.models.onnx, bench.models.onnxShadow]] as const) {
      if (!plain || !shadow || !scorers[kind]) continue;
      scenarios.push([`${kind}: direct call (baseline)`, () => runDirect(scorers[kind]!, rows, rate, count)]);
      scenarios.push([`${kind}: gateway`, () => runLoad(url(plain), bodies, { mode: 'open', rate, count })]);
      scenarios.push([`${kind}: gateway + shadow`, () => runLoad(url(shadow), bodies, { mode: 'open', rate, count })]);
    }
    for (const [, run] of scenarios) await run(); // warm-up: JIT, sockets, the producer's first batches
    await bench.gateway.idle();
    for (let round = 1; round <= rounds; round++) {
      for (const [scenario, run] of scenarios) {
        const s = await run();
        await bench.gateway.idle();
        pool(samples, scenario, s);
        const f = figures(scenario, s);
        log(`  round ${round} ${scenario}: p50 ${f.p50Ms.toFixed(3)} ms, p99 ${f.p99Ms.toFixed(3)} ms${f.failed ? `, ${f.failed} failed` : ''}`);
      }
    }
    const saturated = await runLoad(url(bench.models.builtin), bodies, { mode: 'closed', concurrency: 32, durationMs: 5000 });
    await bench.gateway.idle();
    pool(samples, 'builtin: gateway, 32 callers closed loop (max throughput)', saturated);
    for (const scorer of Object.values(scorers)) await scorer.close();

    const results = [...samples].map(([scenario, s]) => figures(scenario, s));
    console.table(results.map((f) => ({ scenario: f.scenario, requests: f.requests, 'req/s': Math.round(f.throughput), 'p50 ms': f.p50Ms.toFixed(3), 'p99 ms': f.p99Ms.toFixed(3), 'max ms': f.maxMs.toFixed(1), failed: f.failed })));
    const by = (s: string): LoadFigures | undefined => results.find((f) => f.scenario === s);
    for (const kind of ['builtin', 'onnx']) {
      const base = by(`${kind}: direct call (baseline)`);
      const gw = by(`${kind}: gateway`);
      const shadow = by(`${kind}: gateway + shadow`);
      if (!base || !gw || !shadow) continue;
      log(`  ${kind}: p99 overhead of the gateway over the direct call ${(gw.p99Ms - base.p99Ms).toFixed(3)} ms (target <= 2 ms), of which the HTTP floor is ${by('HTTP floor: GET /v2/health/live')!.p99Ms.toFixed(3)} ms; shadow mirroring adds ${(((shadow.p99Ms - gw.p99Ms) / gw.p99Ms) * 100).toFixed(1)}% to p99 (target <= 10%) and ${(shadow.p50Ms - gw.p50Ms).toFixed(3)} ms to p50`);
    }
    const metrics = bench.runtime.metrics as unknown as Parameters<typeof metricTotal>[0];
    log(`  events produced: ${await metricTotal(metrics, 'driftloop_gateway_emitted_total')}, dropped: ${await metricTotal(metrics, 'driftloop_gateway_emit_dropped_total')}; shadow requests dropped (queue full): ${await metricTotal(metrics, 'driftloop_gateway_shadow_dropped_total')}`);
    return results;
  } finally {
    await bench.close();
  }
}

/**
 * The bench in a child process: it opens chDB, and a process may hold one chDB
 * data directory only, which another bench of the same run may have taken.
 */
export function runGatewayBenchInChild(options: Omit<GatewayBenchOptions, 'log'>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`gateway bench exited with ${code}`))));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  runGatewayBench(JSON.parse(process.argv[2] ?? '{}') as GatewayBenchOptions).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
