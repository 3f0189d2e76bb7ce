import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { TrainerService } from '../../../services/trainer/index.js';
import { insertFeatures, insertLabels, normal, prng } from '../../support/drift-data.js';
import { tempDir, uniqueName, waitFor } from '../../support/index.js';
import { runCli } from '../../support/process.js';
import { startServiceOverHttp } from '../../support/runtime.js';

let runtime: Runtime;
let trainer: TrainerService;
const ADMIN = 'test-admin-token';
const reproduce = (runId: string, token = ADMIN): Promise<Response> => fetch(`${runtime.url}/trainer/runs/${runId}/reproduce`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });

beforeAll(async () => {
  ({ runtime, service: trainer } = await startServiceOverHttp('trainer', {
    TRAINER_GROUP_ID: uniqueName('trainer'),
    TRAINER_ARTIFACTS_DIR: await tempDir(),
    TRAINER_WORK_DIR: await tempDir(),
    DRIFTLOOP_ADMIN_TOKEN: ADMIN,
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

describe('reproduce', () => {
  it('re-executes a builtin run from its record: identical metrics and artifact bytes', async () => {
    expect((await reproduce('run-h1', '')).status).toBe(401);
    expect((await reproduce('run-h1', 'wrong')).status).toBe(401);
    expect((await reproduce('nope')).status).toBe(404);
    const res = await reproduce('run-h1');
    const report = (await res.json()) as { identical: boolean; metrics: { name: string; recorded: number; reproduced: number; identical: boolean }[]; artifact: { identical: boolean }; data_version: string };
    expect(res.status, JSON.stringify(report)).toBe(200);
    expect(report.metrics.map((m) => m.name)).toEqual(expect.arrayContaining(['test_accuracy', 'val_loss', 'val_accuracy']));
    for (const m of report.metrics) expect(m.reproduced, m.name).toBe(m.recorded);
    expect(report.artifact.identical).toBe(true);
    expect(report.identical).toBe(true);
  });

  it('is a CLI command, as are runs, runs show and runs compare', async () => {
    const cli = (args: string[], env: Record<string, string> = {}) => runCli(runtime.url, args, env);
    const list = await cli(['runs', '--model', 'web']);
    expect(list.out).toMatch(/^RUN\s+MODEL\s+STATE/);
    expect(list.out).toMatch(/run-h1\s+web\s+done\s+manual/);
    const show = await cli(['runs', 'show', 'run-h1']);
    expect(show.out).toMatch(/^data {7}sha256:[0-9a-f]{64}$/m);
    expect(show.out).toMatch(/^TRIAL\s+STATE\s+VALUE/m);
    expect(show.out).toMatch(/^model\s+\d+\s+[0-9a-f]{64}/m);
    expect((await cli(['runs', 'compare', 'run-h1', 'run-h2'])).out).toMatch(/^param lr\s+\S+\s+\S+$/m);
    expect(await cli(['reproduce', 'run-h1'])).toMatchObject({ code: 2, out: expect.stringMatching(/config DRIFTLOOP_ADMIN_TOKEN: reproduce is an admin endpoint/) });
    const reproduced = await cli(['reproduce', 'run-h1'], { DRIFTLOOP_ADMIN_TOKEN: ADMIN });
    expect(reproduced.out).toMatch(/^test_accuracy\s+(\S+)\s+\1\s+identical$/m);
    expect(reproduced).toMatchObject({ code: 0, out: expect.stringMatching(/reproduced exactly\n$/) });
    expect(await cli(['runs', 'show', 'nope'])).toMatchObject({ code: 3, out: expect.stringMatching(/404 run nope not found/) });
    expect(await cli(['runs', 'cancel', 'run-h1'], { DRIFTLOOP_ADMIN_TOKEN: ADMIN })).toMatchObject({ code: 1, out: expect.stringMatching(/409 run run-h1 is done already/) });
  });

  it('refuses when the run\'s data changed since (a late label in its window)', async () => {
    const ts = Date.UTC(2026, 1, 1) + 2400 * 1000 + 500;
    await insertFeatures(runtime.clickhouse, 'web', [{ event_id: 'late', ts, numeric: { x: 1 }, categorical: {} }]);
    await insertLabels(runtime.clickhouse, 'web', [{ event_id: 'late', ts, label: 'UP' }]);
    const res = await reproduce('run-h1');
    expect(res.status).toBe(409);
    expect(((await res.json()) as { message: string }).message).toMatch(/^the data of run run-h1 changed since it ran \(recorded sha256:/);
  });
});
