import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { GatewayService } from '../../../services/gateway/index.js';
import { predict, type ModelArtifact } from '../../../services/trainer/builtin/index.js';
import { tempDir, uniqueName, waitFor } from '../../support/index.js';
import { insertVersion, setAlias, upsertRollout } from '../../support/release-data.js';
import { readTopicEvents, startServiceOverHttp } from '../../support/runtime.js';
import { syntheticRows, trainTinyModel, writeArtifact } from '../../support/served-models.js';

let runtime: Runtime;
let gateway: GatewayService;
const models: Record<string, ModelArtifact> = {};

interface V1Prediction {
  event_id: string;
  label: string;
  score: number;
  model_version: string;
  variant: string;
}

async function predictOne(model: string, instance: Record<string, unknown>): Promise<V1Prediction> {
  const res = await fetch(`${runtime.url}/v1/models/${model}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances: [instance] }) });
  if (res.status !== 200) throw new Error(`status ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { predictions: V1Prediction[] }).predictions[0]!;
}

/** Runs `count` tasks with at most `concurrency` at once. */
async function pooled<T>(count: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out = new Array<T>(count);
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      out[i] = await task(i);
    }
  }));
  return out;
}

const metricValue = async (pattern: RegExp): Promise<number> => Number(pattern.exec(await (await fetch(`${runtime.url}/metrics`)).text())?.[1] ?? 0);

beforeAll(async () => {
  // No control events in this file: every change reaches the gateway through its poll.
  ({ runtime, service: gateway } = await startServiceOverHttp('gateway', { GATEWAY_GROUP_ID: uniqueName('gw'), GATEWAY_PLAN_REFRESH_MS: '200', GATEWAY_SHADOW_QUEUE_CAPACITY: '2' }));
  const dir = await tempDir();
  for (const [version, seed] of [['1', 11], ['2', 12]] as const) {
    models[version] = await trainTinyModel(seed, { algorithm: version === '1' ? 'logistic' : 'mlp' });
    const file = await writeArtifact(dir, models[version], `model-${version}.json`);
    for (const model of ['split', 'mirror']) await insertVersion(runtime.clickhouse, { model, version, artifactUri: file.path, sha256: file.sha256 });
  }
  await setAlias(runtime.clickhouse, 'split', '1');
  await setAlias(runtime.clickhouse, 'mirror', '1');
  await upsertRollout(runtime.clickhouse, { model: 'split', version: '2', phase: 'canary', weight: 0.1, rolloutId: 'rollout-split' });
  await upsertRollout(runtime.clickhouse, { model: 'mirror', version: '2', phase: 'shadow', rolloutId: 'rollout-mirror' });
  await waitFor(() => {
    const m = gateway.models();
    return m.get('split')?.deployment?.canary && m.get('mirror')?.deployment?.shadow;
  }, { message: 'the poll to load both rollouts' });
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await runtime?.close();
});

describe('canary split', () => {
  it('sends the canary its weight of 10,000 distinct entities (within 1 point), each answered by that variant', async () => {
    const rows = syntheticRows(100, 3);
    const answers = await pooled(10_000, 16, (i) => predictOne('split', { entity_id: `entity-${i}`, numeric: rows[i % 100]!.numeric, categorical: rows[i % 100]!.categorical }));
    const canary = answers.filter((a) => a.variant === 'canary');
    expect(canary.length / answers.length).toBeGreaterThan(0.09);
    expect(canary.length / answers.length).toBeLessThan(0.11);
    for (const [i, a] of answers.entries()) {
      const expected = predict(models[a.variant === 'canary' ? '2' : '1']!, [rows[i % 100]!])[0]!;
      expect({ version: a.model_version, label: a.label, score: a.score }).toEqual({ version: a.variant === 'canary' ? '2' : '1', label: expected.label, score: expected.score });
    }
  }, 120_000);

  it('keeps an entity on its variant: repeated requests of 500 entities never change side', async () => {
    const first = await pooled(500, 16, (i) => predictOne('split', { entity_id: `sticky-${i}`, x: 0.1 }));
    for (let round = 0; round < 3; round++) {
      const again = await pooled(500, 16, (i) => predictOne('split', { entity_id: `sticky-${i}`, x: i / 500, color: 'red' }));
      expect(again.map((a) => a.variant)).toEqual(first.map((a) => a.variant));
    }
    expect(new Set(first.map((a) => a.variant))).toEqual(new Set(['champion', 'canary']));
  }, 60_000);
});

describe('shadow mirroring', () => {
  it('answers from the champion only while the shadow version scores every request on the side', async () => {
    const rows = syntheticRows(20, 4);
    const ids: string[] = [];
    for (const [i, row] of rows.entries()) {
      const a = await predictOne('mirror', { event_id: `mirror-${i}`, numeric: row.numeric, categorical: row.categorical });
      expect(a).toMatchObject({ variant: 'champion', model_version: '1' });
      ids.push(a.event_id);
      await gateway.idle();
    }
    const shadow = await readTopicEvents(runtime, 'predictions', (e) => e.variant === 'shadow' && ids.includes(e.event_id as string));
    expect(shadow).toHaveLength(rows.length);
    const expected = predict(models['2']!, rows);
    for (const { event } of shadow) {
      const i = Number(String(event.event_id).slice('mirror-'.length));
      expect(event).toMatchObject({ model: 'mirror', model_version: '2', variant: 'shadow', prediction: expected[i]!.label, score: expected[i]!.score });
    }
  });

  it('drops mirrored work when the shadow queue is full (counted) instead of holding any response', async () => {
    const dropped = /driftloop_gateway_shadow_dropped_total\{model="mirror"\} (\d+)/;
    const before = await metricValue(dropped);
    const instances = Array.from({ length: 50 }, (_, j) => ({ x: j / 50, y: -j / 50, color: 'blue' }));
    const burst = await Promise.all(Array.from({ length: 300 }, async (_, i) => {
      const res = await fetch(`${runtime.url}/v1/models/mirror:predict`, {
        method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instances: instances.map((x, j) => ({ ...x, event_id: `burst-${i}-${j}` })) }),
      });
      return { status: res.status, body: (await res.json()) as { predictions: V1Prediction[] } };
    }));
    expect(burst.every((r) => r.status === 200 && r.body.predictions.every((p) => p.variant === 'champion'))).toBe(true);
    await gateway.idle();
    const drops = (await metricValue(dropped)) - before;
    expect(drops).toBeGreaterThan(0);
    const mirrored = await readTopicEvents(runtime, 'predictions', (e) => e.variant === 'shadow' && String(e.event_id).startsWith('burst-'));
    // Every request was either mirrored whole or dropped whole.
    expect(mirrored.length / 50 + drops).toBe(300);
  }, 60_000);
});
