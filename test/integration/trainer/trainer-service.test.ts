import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry, silentLogger } from '../../../services/common/index.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import { DEFAULT_SPEC, createTrainerService, getRun, listArtifacts, listRuns, listTrials, resolveSpec, type TrainerService } from '../../../services/trainer/index.js';
import { parseSearchSpace } from '../../../services/trainer/search/index.js';
import { insertFeatures, insertLabels, normal, prng } from '../../support/drift-data.js';
import { tempDir, uniqueName, waitFor } from '../../support/index.js';
import { readTopicEvents, startTestRuntime } from '../../support/runtime.js';

const T0 = Date.UTC(2026, 8, 1);
let runtime: Runtime;
const services: TrainerService[] = [];

const spec = resolveSpec(
  { ...DEFAULT_SPEC, algorithm: 'logistic', params: { epochs: 6, batchSize: 64 }, space: parseSearchSpace({ lr: { type: 'logfloat', low: 1e-3, high: 1e-1 } }), sampler: 'random', pruner: 'median', maxTrials: 6 },
  { window_rows: '3000' },
);

async function trainer(): Promise<TrainerService> {
  const service = createTrainerService({
    bus: runtime.bus,
    clickhouse: runtime.clickhouse,
    codec: runtime.codec,
    logger: silentLogger(),
    metrics: createMetricsRegistry({ processMetrics: false }),
    settings: {
      topicPrefix: runtime.config.topicPrefix, groupId: uniqueName('trainer'), artifactsDir: await tempDir(), workDir: await tempDir(), parallelism: 1, defaultSpec: spec,
      gpus: 'none', cpuSlots: 1, killGraceMs: 1000, commands: {}, python: 'python3',
    },
  });
  services.push(service);
  await service.start();
  return service;
}

async function request(model: string, runId: string, ref: string, params: Record<string, string> = {}): Promise<void> {
  const event = { event_id: uniqueName('req'), model, ts: Date.now(), run_id: runId, cause: { kind: 'drift', ref, detail: '' }, requested_by: 'test', params };
  const producer = await runtime.bus.producer();
  await producer.send(`${runtime.config.topicPrefix}retrain-requests`, [{ key: model, value: await runtime.codec.encode('retrain-requests', event) }]);
}

async function dataFor(model: string, seed: number): Promise<void> {
  const rand = prng(seed);
  const z = normal(rand);
  const rows = Array.from({ length: 4000 }, (_, i) => {
    const x = z();
    const y = z();
    return { event_id: `${model}-${i}`, ts: T0 + i * 1000, numeric: { x, y }, categorical: { c: x > 1 ? 'hi' : 'lo' }, label: x + 0.5 * y + 0.3 * z() > 0 ? 'UP' : 'DOWN' };
  });
  await insertFeatures(runtime.clickhouse, model, rows);
  await insertLabels(runtime.clickhouse, model, rows.map((r) => ({ event_id: r.event_id, ts: r.ts + 100, label: r.label })));
}

async function trainingResults(model: string): Promise<Record<string, unknown>[]> {
  return (await readTopicEvents(runtime, 'training-results', (e) => e.model === model)).map((r) => r.event);
}

beforeAll(async () => {
  runtime = await startTestRuntime();
}, 60_000);

afterAll(async () => {
  for (const s of services) await s.stop();
  await runtime?.close();
});

describe('trainer service', () => {
  it('turns a retrain request into a tracked candidate, and a burst of duplicates into one run', async () => {
    const model = 'churn';
    await dataFor(model, 1);
    const service = await trainer();
    await request(model, 'run-a', 'drift-1');
    await request(model, 'run-a', 'drift-1'); // the same request, replayed
    await request(model, 'run-b', 'drift-2'); // another cause while run-a is open: joins it
    const run = await waitFor(async () => {
      const r = await getRun(runtime.clickhouse, 'run-a');
      return r && (r.state === 'done' || r.state === 'failed') ? r : null;
    }, { message: 'run-a finished', timeoutMs: 120_000 });
    await service.idle();
    expect(run.state).toBe('done');
    expect(run.dataVersion).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(run.metrics.test_accuracy).toBeGreaterThan(0.8);
    expect(run.codeVersion).not.toBe('');
    expect(run.environment.node).toBe(process.version);
    expect((await listRuns(runtime.clickhouse, { model })).map((r) => r.runId)).toEqual(['run-a']);

    const trials = await listTrials(runtime.clickhouse, 'run-a');
    expect(trials).toHaveLength(6);
    expect(trials.every((t) => ['complete', 'pruned'].includes(t.state) && 'lr' in t.params)).toBe(true);
    expect(trials[0]!.series.filter((p) => p.name === 'val_loss').length).toBeGreaterThan(0);

    const [artifact] = await listArtifacts(runtime.clickhouse, 'run-a');
    expect(artifact!.sha256).toBe(createHash('sha256').update(await readFile(artifact!.path)).digest('hex'));
    const events = await trainingResults(model);
    expect(events.map((e) => e.state)).toEqual(['queued', 'snapshot', 'searching', 'training', 'done']);
    expect(events.at(-1)).toMatchObject({ run_id: 'run-a', data_version: run.dataVersion, artifact_sha256: artifact!.sha256, trials: 6, cause: { kind: 'drift', ref: 'drift-1' } });
  }, 180_000);

  it('resumes a run stopped mid-search where it was, without repeating trials', async () => {
    const model = 'fraud';
    await dataFor(model, 2);
    const first = await trainer();
    // Slower trials (an MLP, more epochs, no pruning), so the stop lands mid-search.
    await request(model, 'run-r', 'drift-9', { algorithm: 'mlp', 'param.hidden': '[64]', 'param.epochs': '25', pruner: 'none' });
    await waitFor(async () => (await listTrials(runtime.clickhouse, 'run-r')).some((t) => t.state === 'complete'), { message: 'a finished trial', timeoutMs: 120_000 });
    await first.stop();
    const stopped = (await getRun(runtime.clickhouse, 'run-r'))!;
    expect(stopped.state).toBe('searching');
    const before = (await listTrials(runtime.clickhouse, 'run-r')).filter((t) => t.state === 'complete');
    expect(before.length).toBeGreaterThan(0);
    expect(before.length).toBeLessThan(6);

    const second = await trainer();
    const run = await waitFor(async () => {
      const r = await getRun(runtime.clickhouse, 'run-r');
      return r && (r.state === 'done' || r.state === 'failed') ? r : null;
    }, { message: 'run-r finished after the restart', timeoutMs: 120_000 });
    await second.idle();
    expect(run.state).toBe('done');
    const trials = await listTrials(runtime.clickhouse, 'run-r');
    expect(trials.map((t) => t.trialId)).toEqual([0, 1, 2, 3, 4, 5]);
    // Trials finished before the stop are kept as they were, not trained again.
    for (const t of before) expect(trials.find((x) => x.trialId === t.trialId)).toMatchObject({ state: 'complete', value: t.value, revision: t.revision });
    expect(trials.every((t) => t.state === 'complete' || t.state === 'failed')).toBe(true);
  }, 240_000);
});
