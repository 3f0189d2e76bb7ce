import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry, silentLogger } from '../../../services/common/index.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import { loadElec2 } from '../../../services/cli/demo/elec2.js';
import { createEvaluatorService, getEvaluation, type EvaluatorService } from '../../../services/evaluator/index.js';
import { createRegistryService, getVersion, listVersions, type RegistryService } from '../../../services/registry/index.js';
import { DEFAULT_SPEC, createTrainerService, getRun, type TrainerService } from '../../../services/trainer/index.js';
import { insertFeatures, insertLabels } from '../../support/drift-data.js';
import { tempDir, uniqueName, waitFor } from '../../support/index.js';
import { readTopicEvents, startTestRuntime } from '../../support/runtime.js';

let runtime: Runtime;
let trainer: TrainerService;
let evaluator: EvaluatorService;
let registry: RegistryService;
const registryGroup = uniqueName('registry');
const rows = loadElec2().slice(10_000, 18_000);
const at = (i: number): string => new Date(rows[i]!.ts).toISOString();

async function request(runId: string, ref: string, params: Record<string, string>): Promise<void> {
  const event = { event_id: uniqueName('req'), model: 'elec2', ts: Date.now(), run_id: runId, cause: { kind: 'drift', ref, detail: 'test drift' }, requested_by: 'test', params };
  const producer = await runtime.bus.producer();
  await producer.send(`${runtime.config.topicPrefix}retrain-requests`, [{ key: 'elec2', value: await runtime.codec.encode('retrain-requests', event) }]);
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  const events = rows.map((r) => ({ event_id: `e-${r.index}`, ts: r.ts, numeric: r.numeric, categorical: { day: r.day }, label: r.label }));
  await insertFeatures(runtime.clickhouse, 'elec2', events);
  await insertLabels(runtime.clickhouse, 'elec2', events.map((e) => ({ event_id: e.event_id, ts: e.ts + 1000, label: e.label })));
  const common = { bus: runtime.bus, clickhouse: runtime.clickhouse, codec: runtime.codec, logger: silentLogger(), metrics: createMetricsRegistry({ processMetrics: false }) };
  const topicPrefix = runtime.config.topicPrefix;
  trainer = createTrainerService({
    ...common,
    settings: {
      topicPrefix, groupId: uniqueName('trainer'), artifactsDir: await tempDir(), workDir: await tempDir(), parallelism: 1, gpus: 'none', cpuSlots: 1, killGraceMs: 1000, commands: {}, python: 'python3',
      defaultSpec: { ...DEFAULT_SPEC, maxTrials: 3, params: { epochs: 6, batchSize: 64 }, sampler: 'random' },
    },
  });
  evaluator = createEvaluatorService({
    ...common,
    settings: {
      topicPrefix, groupId: uniqueName('evaluator'), testSplitRows: 200, minHoldoutRows: 200, maxHoldoutRows: 5000,
      policy: { metric: 'accuracy', minHoldoutRows: 200, absoluteThreshold: 0.55, minImprovement: 0, margin: 0.02, sliceMinRows: 100, sliceTolerance: 0.05, resamples: 200, confidence: 0.95 },
    },
  });
  registry = createRegistryService({ ...common, settings: { topicPrefix, groupId: registryGroup, artifactsDir: await tempDir(), approval: 'auto' } });
  for (const s of [registry, evaluator, trainer]) await s.start();
}, 120_000);

afterAll(async () => {
  for (const s of [trainer, evaluator, registry]) await s?.stop();
  await runtime?.close();
});

describe('evaluation and registration', () => {
  it('registers a first model on the absolute gates, with lineage back to the drift report', async () => {
    await request('run-1', 'drift-report-1', { window_from: at(0), window_to: at(6000) });
    const version = await waitFor(async () => (await listVersions(runtime.clickhouse, { model: 'elec2', runId: 'run-1' }))[0], { message: 'version of run-1', timeoutMs: 120_000 });
    const approved = await waitFor(async () => {
      const v = await getVersion(runtime.clickhouse, 'elec2', version.version);
      return v?.status === 'approved' ? v : null;
    }, { message: 'approved' });
    expect(approved).toMatchObject({ version: '1', runId: 'run-1', artifactFormat: 'driftloop.builtin', cause: { kind: 'drift', ref: 'drift-report-1' } });
    const run = (await getRun(runtime.clickhouse, 'run-1'))!;
    expect(approved.lineage).toMatchObject({ run_id: 'run-1', data_version: run.dataVersion, evaluation_id: 'eval-run-1', cause_kind: 'drift', cause_ref: 'drift-report-1', holdout: 'newer: 2000 rows' });
    const evaluation = (await getEvaluation(runtime.clickhouse, 'eval-run-1'))!;
    expect(evaluation).toMatchObject({ decision: 'register', championVersion: null, holdoutRows: 2000 });
    expect(evaluation.candidateCi.accuracy!.low).toBeLessThan(evaluation.candidateMetrics.accuracy!);
    const events = (await readTopicEvents(runtime, 'registry-events', (e) => e.model === 'elec2')).map((r) => r.event);
    expect(events.map((e) => e.action)).toEqual(['registered', 'approved']);
    expect(events[1]).toMatchObject({ run_id: 'run-1', version: '1', actor: 'auto-approval', cause: { kind: 'drift', ref: 'drift-report-1' }, lineage: { evaluation_id: 'eval-run-1' } });
  }, 180_000);

  it('rejects a worse candidate with the reason, and never registers it', async () => {
    await registry.setAlias('elec2', 'champion', '1', 'test', 'first model');
    // One epoch at a tiny step size: barely better than a coin.
    await request('run-2', 'drift-report-2', { window_from: at(0), window_to: at(6000), max_trials: '1', 'param.epochs': '1', space: '{"lr":{"type":"logfloat","low":0.00001,"high":0.00002}}' });
    const evaluation = await waitFor(() => getEvaluation(runtime.clickhouse, 'eval-run-2'), { message: 'run-2 evaluated', timeoutMs: 120_000 });
    expect(evaluation).toMatchObject({ decision: 'reject', championVersion: '1' });
    expect(evaluation.reason).toMatch(/^rejected: .*improvement_accuracy: candidate accuracy 0\.\d+ vs champion 0\.\d+ on the same 2000 rows/);
    const published = (await readTopicEvents(runtime, 'evaluations', (e) => e.run_id === 'run-2')).map((r) => r.event);
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ decision: 'reject', reason: evaluation.reason, champion_version: '1' });
    // The registry read it (it commits an event once handled) and did nothing.
    const topic = `${runtime.config.topicPrefix}evaluations`;
    const ends = await runtime.bus.topicOffsets(topic);
    await waitFor(async () => {
      const committed = await runtime.bus.committedOffsets(registryGroup, topic);
      return ends.every((p) => p.high === 0 || (committed.find((c) => c.partition === p.partition)?.offset ?? 0) >= p.high);
    }, { message: 'the registry to commit past the rejection', timeoutMs: 60_000 });
    expect(await listVersions(runtime.clickhouse, { model: 'elec2', runId: 'run-2' })).toEqual([]);
    // A retrain on the champion's very data with its very spec is a repeat: turned down whatever it scores.
    await request('run-3', 'drift-report-3', { window_from: at(0), window_to: at(6000) });
    const repeat = await waitFor(() => getEvaluation(runtime.clickhouse, 'eval-run-3'), { message: 'run-3 evaluated', timeoutMs: 120_000 });
    expect((await getRun(runtime.clickhouse, 'run-3'))!.dataVersion).toBe((await getVersion(runtime.clickhouse, 'elec2', '1'))!.dataVersion);
    expect(repeat).toMatchObject({ decision: 'reject', championVersion: '1' });
    expect(repeat.gates.find((g) => g.name === 'new_data_or_spec')).toMatchObject({ passed: false });
    expect(repeat.reason).toMatch(/new_data_or_spec: trained on the champion v1's data \(sha256:\w+\) with its training spec: nothing new to roll out$/);
    expect(evaluation.gates.find((g) => g.name === 'new_data_or_spec')).toMatchObject({ passed: true });
    // A replayed training result is not evaluated again.
    expect(await evaluator.evaluate({ model: 'elec2', run_id: 'run-2', state: 'done', cause: { kind: 'drift', ref: 'x' }, data_version: null, artifact_uri: null, artifact_sha256: null })).toEqual(evaluation);
  }, 180_000);
});
