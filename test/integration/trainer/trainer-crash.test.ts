import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { topicName } from '../../../schemas/index.js';
import { createEventBus, createEventCodec, createRegistryClient, silentLogger, type EventBus, type OutgoingMessage } from '../../../services/common/index.js';
import type { RunRecord, TrialRecord } from '../../../services/trainer/index.js';
import { normal, prng } from '../../support/drift-data.js';
import { kafkaBrokers, tempDir, uniqueName, waitFor } from '../../support/index.js';
import { processSetup, startDriftloop } from '../../support/process.js';

const ADMIN_TOKEN = 'tcrash-admin';

describe('trainer process killed with SIGKILL mid-search', () => {
  const children: ChildProcess[] = [];
  let bus: EventBus | undefined;
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await bus?.close();
  });

  it('resumes the run after a restart, keeping the trials it had finished', { timeout: 300_000 }, async () => {
    const setup = await processSetup('tcrash', {
      INGEST_GROUP_ID: uniqueName('ingest'),
      INGEST_BATCH_MAX_WAIT_MS: '100',
      TRAINER_GROUP_ID: uniqueName('trainer'),
      TRAINER_ARTIFACTS_DIR: await tempDir(),
      TRAINER_WORK_DIR: await tempDir(),
      // Slow trials (an MLP, many epochs, no pruning), so the kill lands mid-search.
      TRAINER_SPEC: JSON.stringify({ algorithm: 'mlp', max_trials: '5', 'param.epochs': '30', 'param.hidden': '[64]', pruner: 'none', window_rows: '4000', sampler: 'random' }),
      // Encoding registers the test's schemas: a write to the embedded registry, which needs the admin token.
      DRIFTLOOP_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
    });
    const { url, topicPrefix: prefix } = setup;
    const start = (): Promise<ChildProcess> => startDriftloop(setup, ['up', '--services', 'ingest,trainer'], children);
    const get = async <T>(path: string): Promise<T> => (await (await fetch(`${url}${path}`)).json()) as T;
    const shown = (): Promise<{ run?: RunRecord; trials?: TrialRecord[] }> => get('/trainer/runs/crash-run');

    let child = await start();
    const codec = createEventCodec({ client: createRegistryClient({ url: `${url}/schema-registry`, user: 'test', password: ADMIN_TOKEN }), topicPrefix: prefix });
    bus = createEventBus({ client: 'kafkajs', brokers: kafkaBrokers(), logger: silentLogger() });
    const producer = await bus.producer();
    const z = normal(prng(11));
    const features: OutgoingMessage[] = [];
    const labels: OutgoingMessage[] = [];
    for (let i = 0; i < 4000; i++) {
      const x = z();
      const y = z();
      const ts = Date.UTC(2026, 5, 1) + i * 1000;
      features.push({ key: `c${i}`, value: await codec.encode('features', { event_id: `c${i}`, model: 'crashy', ts, entity_id: null, numeric: { x, y }, categorical: {} }) });
      labels.push({ key: `c${i}`, value: await codec.encode('labels', { event_id: `c${i}`, model: 'crashy', ts: ts + 500, label: x - y + 0.4 * z() > 0 ? 'UP' : 'DOWN' }) });
    }
    await producer.send(topicName(prefix, 'features'), features);
    await producer.send(topicName(prefix, 'labels'), labels);
    // Ask for the retraining once every row is stored (a snapshot of fewer would train on less).
    const stored = async (table: string): Promise<number> => Number(new RegExp(`^driftloop_ingest_rows_total\\{table="${table}"\\} (\\d+)`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
    await waitFor(async () => (await stored('features')) === 4000 && (await stored('labels')) === 4000, { message: 'rows stored', timeoutMs: 60_000 });
    const request = { event_id: uniqueName('req'), model: 'crashy', ts: Date.now(), run_id: 'crash-run', cause: { kind: 'manual', ref: 'crash', detail: '' }, requested_by: 'test', params: {} };
    await producer.send(topicName(prefix, 'retrain-requests'), [{ key: 'crashy', value: await codec.encode('retrain-requests', request) }]);

    await waitFor(async () => (await shown()).trials?.some((t) => t.state === 'complete'), { message: 'a finished trial', timeoutMs: 120_000, intervalMs: 100 });
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    child = await start();
    const before = await shown();
    expect(before.run!.state).toBe('searching');
    const finishedBefore = before.trials!.filter((t) => t.state === 'complete');
    expect(finishedBefore.length).toBeGreaterThan(0);
    expect(finishedBefore.length).toBeLessThan(5);

    const after = await waitFor(async () => {
      const s = await shown();
      return s.run && (s.run.state === 'done' || s.run.state === 'failed') ? s : null;
    }, { message: 'crash-run finished after the restart', timeoutMs: 180_000, intervalMs: 200 });
    expect(after.run!.state, after.run!.message).toBe('done');
    expect(after.trials!.map((t) => t.trialId)).toEqual([0, 1, 2, 3, 4]);
    // What finished before the kill is kept as it was; the trial the kill interrupted is failed, not left running.
    for (const t of finishedBefore) expect(after.trials!.find((x) => x.trialId === t.trialId)).toMatchObject({ state: 'complete', value: t.value, revision: t.revision });
    expect(after.trials!.filter((t) => t.state === 'running')).toEqual([]);
    expect(after.trials!.some((t) => t.state === 'failed' && t.message === 'interrupted')).toBe(true);

    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
  });
});
