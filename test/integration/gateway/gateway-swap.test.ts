import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { GatewayService } from '../../../services/gateway/index.js';
import { predict, type ModelArtifact } from '../../../services/trainer/builtin/index.js';
import { tempDir, uniqueName, waitFor } from '../../support/index.js';
import { insertVersion, publishAliasMoved, publishRolloutStep, setAlias, upsertRollout } from '../../support/release-data.js';
import { startServiceOverHttp } from '../../support/runtime.js';
import { syntheticRows, trainTinyModel, writeArtifact } from '../../support/served-models.js';

let runtime: Runtime;
let gateway: GatewayService;
let dir: string;
const artifacts: Record<string, ModelArtifact> = {};
const files: Record<string, { path: string; sha256: string }> = {};
const rows = syntheticRows(8, 9);

interface Answer {
  status: number;
  versions: string[];
}

async function ask(model: string): Promise<Answer> {
  const res = await fetch(`${runtime.url}/v1/models/${model}:predict`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ instances: rows.map((r) => ({ numeric: r.numeric, categorical: r.categorical })) }),
  });
  const body = (await res.json()) as { predictions?: { model_version: string; label: string; score: number }[] };
  if (res.status === 200) {
    // Each answer is exactly what its version predicts: a request never mixes two deployments.
    const version = body.predictions![0]!.model_version;
    expect(body.predictions!.map((p) => ({ label: p.label, score: p.score }))).toEqual(predict(artifacts[version]!, rows));
  }
  return { status: res.status, versions: body.predictions?.map((p) => p.model_version) ?? [] };
}

/** Requests `model` from `concurrency` loops until `until` resolves, then a little longer. */
async function hammer(model: string, concurrency: number, until: Promise<unknown>): Promise<Answer[]> {
  const answers: Answer[] = [];
  let done = false;
  void until.then(() => setTimeout(() => (done = true), 300));
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (!done) answers.push(await ask(model));
  }));
  return answers;
}

beforeAll(async () => {
  // A poll far longer than the tests: changes must arrive through the control events.
  ({ runtime, service: gateway } = await startServiceOverHttp('gateway', { GATEWAY_GROUP_ID: uniqueName('gw'), GATEWAY_PLAN_REFRESH_MS: '600000' }));
  dir = await tempDir();
  for (const [version, seed] of [['1', 21], ['2', 22], ['3', 23]] as const) {
    artifacts[version] = await trainTinyModel(seed);
    files[version] = await writeArtifact(dir, artifacts[version], `model-${version}.json`);
  }
  await insertVersion(runtime.clickhouse, { model: 'live', version: '1', artifactUri: files['1']!.path, sha256: files['1']!.sha256 });
  await setAlias(runtime.clickhouse, 'live', '1');
  await gateway.refresh();
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await runtime?.close();
});

describe('hot swap', () => {
  it('serves a new champion after a registry event without failing any request in flight', async () => {
    const swapped = (async () => {
      await new Promise((r) => setTimeout(r, 300));
      await insertVersion(runtime.clickhouse, { model: 'live', version: '2', artifactUri: files['2']!.path, sha256: files['2']!.sha256 });
      await setAlias(runtime.clickhouse, 'live', '2');
      await publishAliasMoved(runtime, 'live', '2');
      await waitFor(() => gateway.models().get('live')?.deployment?.champion.version === '2', { message: 'version 2 to be served', timeoutMs: 30_000 });
    })();
    const answers = await hammer('live', 8, swapped);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const versions = answers.map((a) => a.versions[0]);
    expect(versions).toContain('1');
    expect(versions.slice(-8)).toEqual(Array(8).fill('2'));
    expect(answers.every((a) => new Set(a.versions).size === 1)).toBe(true);
  }, 60_000);

  it('starts and moves a canary on rollout events, reusing loaded versions', async () => {
    await insertVersion(runtime.clickhouse, { model: 'live', version: '3', artifactUri: files['3']!.path, sha256: files['3']!.sha256 });
    await upsertRollout(runtime.clickhouse, { model: 'live', version: '3', phase: 'canary', weight: 0.5, rolloutId: 'r-live' });
    await publishRolloutStep(runtime, 'live', '3', 'canary', 0.5);
    await waitFor(() => gateway.models().get('live')?.deployment?.canary?.weight === 0.5, { message: 'the canary at 0.5' });
    const before = gateway.models().get('live')!.deployment!;
    await upsertRollout(runtime.clickhouse, { model: 'live', version: '3', phase: 'canary', weight: 1, rolloutId: 'r-live' });
    await publishRolloutStep(runtime, 'live', '3', 'canary', 1);
    await waitFor(() => gateway.models().get('live')?.deployment?.canary?.weight === 1, { message: 'the canary at 1' });
    const after = gateway.models().get('live')!.deployment!;
    expect(after.canary!.version).toBe(before.canary!.version);
    expect(after.champion).toBe(before.champion);
    const answers = await Promise.all(Array.from({ length: 20 }, () => ask('live')));
    expect(answers.every((a) => a.status === 200 && a.versions.every((v) => v === '3'))).toBe(true);
    // Rolled back: the canary stops.
    await upsertRollout(runtime.clickhouse, { model: 'live', version: '3', phase: 'canary', weight: 0, state: 'rolled_back', rolloutId: 'r-live' });
    await publishRolloutStep(runtime, 'live', '3', 'canary', 0);
    await waitFor(() => gateway.models().get('live')?.deployment?.canary === null, { message: 'the canary gone' });
  });

  it('refuses an artifact whose sha256 differs from the registry record and keeps serving the previous champion', async () => {
    await insertVersion(runtime.clickhouse, { model: 'live', version: '4', artifactUri: files['3']!.path, sha256: files['1']!.sha256 });
    await setAlias(runtime.clickhouse, 'live', '4');
    await publishAliasMoved(runtime, 'live', '4');
    await waitFor(() => gateway.models().get('live')?.error, { message: 'the load failure' });
    expect(gateway.models().get('live')!.error).toMatch(/artifact .*model-3\.json has sha256 [0-9a-f]{64}, the registry recorded [0-9a-f]{64}; refusing to serve it/);
    expect((await ask('live')).versions[0]).toBe('2');
    const metrics = await (await fetch(`${runtime.url}/metrics`)).text();
    expect(metrics).toMatch(/driftloop_gateway_model_load_failures_total\{model="live"\} [1-9]/);
    const { models } = (await (await fetch(`${runtime.url}/gateway/models`)).json()) as { models: { model: string; planned: { champion: string }; serving: { champion: string }; error: string }[] };
    expect(models.find((m) => m.model === 'live')).toMatchObject({ planned: { champion: '4' }, serving: { champion: '2' }, error: expect.stringMatching(/refusing/) });

    // The registry corrects the record: the next event swaps it in.
    await insertVersion(runtime.clickhouse, { model: 'live', version: '4', artifactUri: files['3']!.path, sha256: files['3']!.sha256 });
    await publishAliasMoved(runtime, 'live', '4');
    await waitFor(() => gateway.models().get('live')?.deployment?.champion.version === '4', { message: 'version 4 served' });
    expect(gateway.models().get('live')!.error).toBeNull();
  });

  it('answers 503 with the reason for a model whose first champion cannot be loaded', async () => {
    await insertVersion(runtime.clickhouse, { model: 'broken', version: '1', artifactUri: files['1']!.path, sha256: '0'.repeat(64) });
    await setAlias(runtime.clickhouse, 'broken', '1');
    await publishAliasMoved(runtime, 'broken', '1');
    await waitFor(() => gateway.models().get('broken')?.error, { message: 'the load failure' });
    const res = await fetch(`${runtime.url}/v1/models/broken:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [{ x: 1 }] }) });
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'DL_MODEL_UNAVAILABLE', message: expect.stringMatching(/^model broken is not available: its champion 1 failed to load: .*refusing to serve it$/) });
    expect((await fetch(`${runtime.url}/v2/models/broken/ready`)).status).toBe(503);
  });
});
