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
import { loadVersion, type Scorer } from '../../../services/gateway/index.js';
import { syntheticRows, sha256 } from '../../support/served-models.js';
import { readFile } from 'node:fs/promises';
import { HIDDEN, startBenchGateway } from './setup.js';
import { figures, pool, runDirect, runLoad, type LoadFigures, type Samples } from './load.js';

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
    console.table(results.map((f) => ({ scenario: f.scenario, requests: f.requests, 'req/s': Math.round(f.throughput), 'p50 ms': f.p50Ms.toFixed(3), 'p99 ms': f.p99Ms.toFixed(3), 'p99 ms (median round)': f.medianRoundP99Ms.toFixed(3), 'max ms': f.maxMs.toFixed(1), failed: f.failed })));
    const by = (s: string): LoadFigures | undefined => results.find((f) => f.scenario === s);
    for (const kind of ['builtin', 'onnx']) {
      const base = by(`${kind}: direct call (baseline)`);
      const gw = by(`${kind}: gateway`);
      const shadow = by(`${kind}: gateway + shadow`);
      if (!base || !gw || !shadow) continue;
      const floor = by('HTTP floor: GET /v2/health/live')!;
      const overhead = (f: (x: LoadFigures) => number): string => `${(f(gw) - f(base)).toFixed(3)} ms (HTTP floor ${f(floor).toFixed(3)} ms)`;
      const increase = (f: (x: LoadFigures) => number): string => `${(((f(shadow) - f(gw)) / f(gw)) * 100).toFixed(1)}%`;
      log(`  ${kind}: p99 overhead of the gateway over the direct call: pooled ${overhead((x) => x.p99Ms)}, median round ${overhead((x) => x.medianRoundP99Ms)} (target <= 2 ms)`);
      log(`  ${kind}: shadow mirroring adds to p99: pooled ${increase((x) => x.p99Ms)}, median round ${increase((x) => x.medianRoundP99Ms)} (target <= 10%); to p50 ${(shadow.p50Ms - gw.p50Ms).toFixed(3)} ms`);
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
