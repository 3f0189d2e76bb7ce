import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, migrate, silentLogger, type ClickHouse } from '../../../services/common/index.js';
import { getRun, listArtifacts, listRuns, listTrials, saveArtifact, saveRun, saveTrial, type RunRecord } from '../../../services/trainer/store.js';
import { tempDir } from '../../support/index.js';

let ch: ClickHouse;
const T = Date.UTC(2026, 10, 28, 12);

const run = (over: Partial<RunRecord> = {}): RunRecord => ({
  runId: 'run-1', model: 'elec2', revision: 1, state: 'queued', cause: { kind: 'drift', ref: 'drift-abc', detail: '4 of 7 features drifted' }, requestedBy: 'drift',
  spec: '{"window":{"kind":"latest","rows":10000}}', dataVersion: null, dataWindow: '', candidateVersion: null, bestTrial: null, metrics: {}, message: '',
  codeVersion: 'abc123', environment: { node: 'v20' }, createdAt: T, updatedAt: T, ...over,
});

beforeAll(async () => {
  ch = await createClickHouse({ url: `chdb:${await tempDir()}`, database: 'tracking', logger: silentLogger() });
  await migrate(ch, { logger: silentLogger() });
});
afterAll(async () => ch?.close());

describe('experiment tracking in ClickHouse', () => {
  it('reads a run back at its newest revision, and open runs only while they are open', async () => {
    await saveRun(ch, run());
    await saveRun(ch, run({ revision: 2, state: 'snapshot', dataVersion: 'sha256:ff', updatedAt: T + 1000 }));
    expect(await getRun(ch, 'run-1')).toMatchObject({ revision: 2, state: 'snapshot', dataVersion: 'sha256:ff', cause: { ref: 'drift-abc' }, createdAt: T, updatedAt: T + 1000 });
    expect((await listRuns(ch, { openOnly: true })).map((r) => r.runId)).toEqual(['run-1']);
    await saveRun(ch, run({ revision: 3, state: 'done', metrics: { val_accuracy: 0.87 }, bestTrial: 4, updatedAt: T + 2000 }));
    expect(await listRuns(ch, { openOnly: true })).toEqual([]);
    expect((await getRun(ch, 'run-1'))!.metrics).toEqual({ val_accuracy: 0.87 });
    expect(await getRun(ch, 'nope')).toBeNull();
  });

  it('keeps each trial with its params, metric series and state, and artifacts with their hashes', async () => {
    const base = { runId: 'run-1', trialId: 0, params: { lr: '0.01', hidden: '[32]' }, seed: 7, device: 'cpu', attempt: 1, message: '', startedAt: T, finishedAt: null };
    await saveTrial(ch, { ...base, revision: 1, state: 'running', value: null, series: [{ step: 1, name: 'val_loss', value: 0.6 }] });
    await saveTrial(ch, { ...base, revision: 2, state: 'pruned', value: 0.55, series: [{ step: 1, name: 'val_loss', value: 0.6 }, { step: 2, name: 'val_loss', value: 0.55 }], finishedAt: T + 500 });
    const [trial] = await listTrials(ch, 'run-1');
    expect(trial).toMatchObject({ trialId: 0, state: 'pruned', value: 0.55, params: { lr: '0.01', hidden: '[32]' }, finishedAt: T + 500 });
    expect(trial!.series).toEqual([{ step: 1, name: 'val_loss', value: 0.6 }, { step: 2, name: 'val_loss', value: 0.55 }]);
    await saveArtifact(ch, { runId: 'run-1', trialId: 0, name: 'model', path: '/artifacts/run-1/model.json', bytes: 1234, sha256: 'ab'.repeat(32), createdAt: T });
    expect(await listArtifacts(ch, 'run-1')).toEqual([{ runId: 'run-1', trialId: 0, name: 'model', path: '/artifacts/run-1/model.json', bytes: 1234, sha256: 'ab'.repeat(32), createdAt: T }]);
  });
});
