import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Scorer } from '../../../services/gateway/index.js';
import type { syntheticRows } from '../../support/served-models.js';

/** Load on the gateway and on a direct call, and the figures of each: latencies pooled over rounds. */

const WORKER = fileURLToPath(new URL('./load-worker.mjs', import.meta.url));

export interface LoadFigures {
  scenario: string;
  requests: number;
  /** Completed requests per second, over the rounds. */
  throughput: number;
  p50Ms: number;
  p99Ms: number;
  /** The median of the rounds' p99s: robust to one round disturbed by another process on a shared machine. */
  medianRoundP99Ms: number;
  maxMs: number;
  failed: number;
}

export type LoadSpec = { mode: 'open'; rate: number; count: number; method?: 'GET' | 'POST' } | { mode: 'closed'; concurrency: number; durationMs: number };

/** Latencies of one scenario, pooled over its rounds. */
export interface Samples {
  latencies: number[];
  elapsedMs: number;
  failed: number;
  /** p99 of each round pooled in. */
  roundP99s: number[];
  /** Answers by HTTP status ('error' for a failed connection), when one run made them. */
  statuses?: Record<string, number>;
}

export function quantile(sorted: Float64Array, q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function figures(scenario: string, s: Samples): LoadFigures {
  const sorted = Float64Array.from(s.latencies).sort();
  const p99Ms = quantile(sorted, 0.99);
  const rounds = Float64Array.from(s.roundP99s.length > 0 ? s.roundP99s : [p99Ms]).sort();
  return {
    scenario, requests: sorted.length, throughput: (sorted.length / s.elapsedMs) * 1000, p50Ms: quantile(sorted, 0.5), p99Ms,
    medianRoundP99Ms: rounds[Math.floor((rounds.length - 1) / 2)]!, maxMs: sorted[sorted.length - 1] ?? NaN, failed: s.failed,
  };
}

/** Runs the load generator thread against `url`. */
export function runLoad(url: string, bodies: string[], spec: LoadSpec): Promise<Samples> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER, { workerData: { url, bodies, ...spec } });
    worker.once('message', (m: { latencies: Float64Array; statuses: Record<string, number>; elapsedMs: number }) => {
      const failed = Object.entries(m.statuses).reduce((n, [status, count]) => n + (status === '200' ? 0 : count), 0);
      void worker.terminate();
      resolve({ latencies: Array.from(m.latencies), elapsedMs: m.elapsedMs, failed, roundP99s: [], statuses: m.statuses });
    });
    worker.once('error', reject);
  });
}

/** The baseline: the scorer the gateway uses, called directly on one row at a time, at the same offered rate; the time of each call. */
export async function runDirect(scorer: Scorer, rows: ReturnType<typeof syntheticRows>, rate: number, count: number): Promise<Samples> {
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
  return { latencies, elapsedMs: performance.now() - started, failed: 0, roundP99s: [] };
}

export function pool(into: Map<string, Samples>, scenario: string, s: Samples): void {
  const roundP99 = quantile(Float64Array.from(s.latencies).sort(), 0.99);
  const all = into.get(scenario);
  if (!all) into.set(scenario, { ...s, latencies: [...s.latencies], roundP99s: [roundP99] });
  else {
    all.roundP99s.push(roundP99);
    for (const l of s.latencies) all.latencies.push(l);
    all.elapsedMs += s.elapsedMs;
    all.failed += s.failed;
  }
}
