import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { TrainerService } from '../../../services/trainer/index.js';
import { insertFeatures, insertLabels, normal, prng } from '../../support/drift-data.js';
import { tempDir, uniqueName, waitFor } from '../../support/index.js';
import { startServiceOverHttp } from '../../support/runtime.js';

let runtime: Runtime;
let trainer: TrainerService;

beforeAll(async () => {
  ({ runtime, service: trainer } = await startServiceOverHttp('trainer', {
    TRAINER_GROUP_ID: uniqueName('trainer'),
    TRAINER_ARTIFACTS_DIR: await tempDir(),
    TRAINER_WORK_DIR: await tempDir(),
    TRAINER_SPEC: JSON.stringify({ algorithm: 'logistic', max_trials: '3', 'param.epochs': '3', window_rows: '2000', sampler: 'random' }),
  }));
  const z = normal(prng(5));
  const rows = Array.from({ length: 2500 }, (_, i) => {
    const x = z();
    return { event_id: `h${i}`, ts: Date.UTC(2026, 1, 1) + i * 1000, numeric: { x }, categorical: {}, label: x + 0.3 * z() > 0 ? 'UP' : 'DOWN' };
  });
  await insertFeatures(runtime.clickhouse, 'web', rows);
  await insertLabels(runtime.clickhouse, 'web', rows.map((r) => ({ event_id: r.event_id, ts: r.ts, label: r.label })));
  for (const [runId, ref] of [['run-h1', 'a'], ['run-h2', 'b']] as const) {
    const event = { event_id: uniqueName('r'), model: 'web', ts: Date.now(), run_id: runId, cause: { kind: 'manual', ref, detail: '' }, requested_by: 'test', params: runId === 'run-h2' ? { seed: '2' } : {} };
    const producer = await runtime.bus.producer();
    await producer.send(`${runtime.config.topicPrefix}retrain-requests`, [{ key: 'web', value: await runtime.codec.encode('retrain-requests', event) }]);
    let last: unknown;
    await waitFor(async () => {
      const res = await fetch(`${runtime.url}/trainer/runs/${runId}`);
      last = await res.json();
      return res.status === 200 && (last as { run: { state: string } }).run.state === 'done';
    }, { message: `${runId} done`, timeoutMs: 60_000, onTimeout: () => JSON.stringify(last).slice(0, 800) });
  }
}, 240_000);

afterAll(async () => {
  await trainer?.stop();
  await runtime?.close();
});

describe('trainer HTTP API', () => {
  it('lists runs and shows one with its trials and artifacts', async () => {
    const { runs } = (await (await fetch(`${runtime.url}/trainer/runs?model=web`)).json()) as { runs: { runId: string; state: string }[] };
    expect(runs.map((r) => r.runId)).toEqual(['run-h2', 'run-h1']);
    const one = (await (await fetch(`${runtime.url}/trainer/runs/run-h1`)).json()) as { run: { dataVersion: string }; trials: unknown[]; artifacts: { sha256: string }[] };
    expect(one.trials).toHaveLength(3);
    expect(one.artifacts[0]!.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(one.run.dataVersion).toMatch(/^sha256:/);
  });

  it('compares runs side by side: same data, different seeds', async () => {
    const { runs } = (await (await fetch(`${runtime.url}/trainer/runs/compare?runs=run-h1,run-h2`)).json()) as { runs: { run_id: string; data_version: string; best_params: Record<string, string>; metrics: Record<string, number> }[] };
    expect(runs.map((r) => r.run_id)).toEqual(['run-h1', 'run-h2']);
    expect(runs[0]!.data_version).toBe(runs[1]!.data_version);
    expect(runs[0]!.best_params.lr).not.toBe(runs[1]!.best_params.lr);
  });

  it('answers 404 for an unknown run and 400 for bad queries', async () => {
    expect((await fetch(`${runtime.url}/trainer/runs/nope`)).status).toBe(404);
    expect((await fetch(`${runtime.url}/trainer/runs/compare?runs=run-h1`)).status).toBe(400);
    expect((await fetch(`${runtime.url}/trainer/runs?limit=0`)).status).toBe(400);
    expect((await fetch(`${runtime.url}/trainer/runs?model=bad%20name`)).status).toBe(400);
  });
});
