import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry, silentLogger } from '../../../services/common/index.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import { loadElec2 } from '../../../services/cli/demo/elec2.js';
import { predict, readTabularCsv, validateArtifact } from '../../../services/trainer/builtin/index.js';
import { DEFAULT_SPEC, createTrainerService, findTorchPython, getRun, listArtifacts, listTrials, parseTrainerCommands, type RunRecord, type TrainerService } from '../../../services/trainer/index.js';
import { insertFeatures, insertLabels } from '../../support/drift-data.js';
import { tempDir, uniqueName, waitFor } from '../../support/index.js';
import { startTestRuntime } from '../../support/runtime.js';

const SCRIPTED = join(import.meta.dirname, '../../fixtures/trainers/scripted-trainer.mjs');
let runtime: Runtime;
let service: TrainerService;
let python: string | undefined;
let workDir: string;

async function request(model: string, runId: string, params: Record<string, string>): Promise<void> {
  const event = { event_id: uniqueName('req'), model, ts: Date.now(), run_id: runId, cause: { kind: 'manual', ref: runId, detail: '' }, requested_by: 'test', params };
  const producer = await runtime.bus.producer();
  await producer.send(`${runtime.config.topicPrefix}retrain-requests`, [{ key: model, value: await runtime.codec.encode('retrain-requests', event) }]);
}

async function finished(runId: string): Promise<RunRecord> {
  return waitFor(async () => {
    const r = await getRun(runtime.clickhouse, runId);
    return r && (r.state === 'done' || r.state === 'failed') ? r : null;
  }, { message: `${runId} finished`, timeoutMs: 240_000, intervalMs: 200 });
}

beforeAll(async () => {
  python = await findTorchPython();
  runtime = await startTestRuntime();
  // 6,000 consecutive Elec2 half-hours with their labels.
  const rows = loadElec2().slice(20_000, 26_000).map((r) => ({ event_id: `e-${r.index}`, ts: r.ts, numeric: r.numeric, categorical: { day: r.day }, label: r.label }));
  await insertFeatures(runtime.clickhouse, 'elec2', rows);
  await insertLabels(runtime.clickhouse, 'elec2', rows.map((r) => ({ event_id: r.event_id, ts: r.ts + 1000, label: r.label })));
  workDir = await tempDir();
  service = createTrainerService({
    bus: runtime.bus,
    clickhouse: runtime.clickhouse,
    codec: runtime.codec,
    logger: silentLogger(),
    metrics: createMetricsRegistry({ processMetrics: false }),
    settings: {
      topicPrefix: runtime.config.topicPrefix, groupId: uniqueName('trainer'), artifactsDir: await tempDir(), workDir, parallelism: 1, defaultSpec: DEFAULT_SPEC,
      gpus: 'none', cpuSlots: 2, killGraceMs: 2000, python: python ?? 'python3',
      commands: parseTrainerCommands(JSON.stringify({ scripted: { command: [process.execPath, SCRIPTED], space: { loss0: { type: 'float', low: 0.5, high: 2 } } } }), python ?? 'python3'),
    },
  });
  await service.start();
}, 120_000);

afterAll(async () => {
  await service?.stop();
  await runtime?.close();
});

describe('external trainers through the executor', () => {
  it('trains the PyTorch reference trainer on CPU: ONNX and servable JSON out, its epoch lines drive pruning', async (ctx) => {
    if (process.env.DRIFTLOOP_SKIP_TORCH === '1') ctx.skip('DRIFTLOOP_SKIP_TORCH=1');
    expect(python, 'no Python that imports torch (infra/dev/setup.sh installs python3-torch); DRIFTLOOP_SKIP_TORCH=1 skips this test').toBeDefined();
    await request('elec2', 'torch-run', {
      trainer: 'torch-mlp', window_rows: '6000', max_trials: '10', sampler: 'random', pruner: 'median', seed: '3', 'param.epochs': '6',
      // A wide learning-rate range: some trials learn far slower than others, which the median rule stops once 5 trials completed.
      space: JSON.stringify({ lr: { type: 'logfloat', low: 1e-5, high: 3e-2 }, hidden: { type: 'categorical', choices: [16, 32] } }),
    });
    const run = await finished('torch-run');
    expect(run.state, run.message).toBe('done');
    expect(JSON.parse(run.spec)).toMatchObject({ trainer: 'torch-mlp', command: [python, expect.stringMatching(/torch_mlp\.py$/)] });
    expect(run.metrics.test_accuracy).toBeGreaterThan(0.65);
    expect(run.environment.torch).toMatch(/^\d+\.\d+/);

    const trials = await listTrials(runtime.clickhouse, 'torch-run');
    expect(trials).toHaveLength(10);
    expect(trials.every((t) => /^cpu:[01]$/.test(t.device) && t.attempt === 1)).toBe(true);
    const epochsOf = (t: (typeof trials)[number]): number => t.series.filter((p) => p.name === 'val_loss').length;
    const pruned = trials.filter((t) => t.state === 'pruned');
    expect(pruned.length, JSON.stringify(trials.map((t) => [t.state, t.params.lr, epochsOf(t)]))).toBeGreaterThan(0);
    for (const t of pruned) expect(epochsOf(t)).toBeLessThan(6);
    for (const t of trials.filter((x) => x.state === 'complete')) expect(epochsOf(t)).toBe(6);

    const artifacts = await listArtifacts(runtime.clickhouse, 'torch-run');
    expect(artifacts.map((a) => a.name).sort()).toEqual(['model', 'onnx']);
    for (const a of artifacts) {
      const body = await readFile(a.path);
      expect(a).toMatchObject({ bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    }
    // The JSON artifact is driftloop's own servable format: the TypeScript predictor scores the test split as torch did.
    const model = validateArtifact(JSON.parse(await readFile(artifacts.find((a) => a.name === 'model')!.path, 'utf8')));
    const test = (await readTabularCsv(join(workDir, 'torch-run', 'test.csv'))).rows;
    const accuracy = predict(model, test).filter((p, i) => p.label === test[i]!.label).length / test.length;
    expect(Math.abs(accuracy - run.metrics.test_accuracy!)).toBeLessThanOrEqual(2 / test.length);
  }, 300_000);

  it('fails a run whose every trial fails, saying why; a command is never retried for a permanent failure', async () => {
    await request('elec2', 'crash-run', { trainer: 'scripted', window_rows: '1000', max_trials: '2', 'param.behavior': '"crash"', 'param.code': '2' });
    const run = await finished('crash-run');
    expect(run.state).toBe('failed');
    expect(run.message).toMatch(/^searching: no trial of 2 completed \(first error: exited with code 2: something broke: bad input\)/);
    expect((await listTrials(runtime.clickhouse, 'crash-run')).map((t) => [t.state, t.attempt])).toEqual([['failed', 1], ['failed', 1]]);
  }, 120_000);

  it('retries a retriable failure, and kills a hanging trial at its timeout', async () => {
    await request('elec2', 'flaky-run', { trainer: 'scripted', window_rows: '1000', max_trials: '1', trial_retries: '2', 'param.behavior': '"flaky"', 'param.succeed_on': '2' });
    const flaky = await finished('flaky-run');
    expect(flaky.state, flaky.message).toBe('done');
    expect((await listTrials(runtime.clickhouse, 'flaky-run')).map((t) => [t.state, t.attempt])).toEqual([['complete', 2]]);
    expect((await listArtifacts(runtime.clickhouse, 'flaky-run')).map((a) => a.name)).toEqual(['model']);

    const started = Date.now();
    await request('elec2', 'hang-run', { trainer: 'scripted', window_rows: '1000', max_trials: '1', trial_timeout_ms: '1500', 'param.behavior': '"hang"' });
    const hang = await finished('hang-run');
    expect(hang.state).toBe('failed');
    expect(hang.message).toMatch(/first error: timed out after 1\.5 s \(killed\)/);
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 120_000);

  it('cancels the executing run, killing its trials, and a queued one before it starts', async () => {
    await request('elec2', 'long-run', { trainer: 'scripted', window_rows: '1000', max_trials: '4', 'param.epochs': '10000', 'param.epoch_ms': '20' });
    await waitFor(async () => (await listTrials(runtime.clickhouse, 'long-run')).filter((t) => t.state === 'running').length === 2, { message: 'two trials running' });
    // Requested only now: the two requests sit on different partitions, and read in the other order the second
    // (a model without data) ran first and failed at its snapshot before it could be cancelled (seen in CI).
    await request('elec2-b', 'queued-run', { trainer: 'scripted', window_rows: '1000' });
    await waitFor(async () => (await getRun(runtime.clickhouse, 'queued-run'))?.state === 'queued', { message: 'queued-run recorded, waiting behind long-run' });
    const queued = await service.cancel('queued-run', 'test');
    expect(queued).toMatchObject({ state: 'cancelled', message: 'cancelled by test' });
    const started = Date.now();
    const cancelled = await service.cancel('long-run', 'test');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(cancelled).toMatchObject({ state: 'cancelled', message: 'cancelled by test' });
    const trials = await waitFor(async () => {
      const ts = await listTrials(runtime.clickhouse, 'long-run');
      return ts.every((t) => t.state !== 'running') ? ts : null;
    }, { message: 'no trial left running' });
    expect(trials.map((t) => t.state)).toEqual(['failed', 'failed']);
    await expect(service.cancel('long-run', 'test')).rejects.toThrow('run long-run is cancelled already');
    await service.idle();
    expect((await getRun(runtime.clickhouse, 'queued-run'))!.state).toBe('cancelled');
  }, 120_000);
});
