import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { GatewayService } from '../../../services/gateway/index.js';
import { predict, predictProba, trainBuiltin, type ModelArtifact } from '../../../services/trainer/builtin/index.js';
import { tempDir, uniqueName } from '../../support/index.js';
import { insertVersion, setAlias } from '../../support/release-data.js';
import { readTopicEvents, startServiceOverHttp } from '../../support/runtime.js';
import { syntheticRows, trainTinyModel, writeArtifact } from '../../support/served-models.js';

let runtime: Runtime;
let gateway: GatewayService;
let artifact: ModelArtifact;
const rows = syntheticRows(12, 5);

const post = (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> =>
  fetch(`${runtime.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
const json = async (res: Response): Promise<Record<string, unknown>> => (await res.json()) as Record<string, unknown>;

beforeAll(async () => {
  ({ runtime, service: gateway } = await startServiceOverHttp('gateway', { GATEWAY_GROUP_ID: uniqueName('gw'), GATEWAY_PLAN_REFRESH_MS: '60000', GATEWAY_MAX_INSTANCES: '50', GATEWAY_EVENT_TIME_HEADER: 'x-driftloop-event-time' }));
  artifact = await trainTinyModel(1);
  const file = await writeArtifact(await tempDir(), artifact);
  await insertVersion(runtime.clickhouse, { model: 'tiny', version: '1', artifactUri: file.path, sha256: file.sha256 });
  await setAlias(runtime.clickhouse, 'tiny', '1');
  await insertVersion(runtime.clickhouse, { model: 'orphan', version: '1', artifactUri: file.path, sha256: file.sha256 });
  // narrow: trained on values a tenth as wide (std about 0.11), so 1e308 standardizes to infinity.
  const narrowRows = syntheticRows(300, 3).map((r) => ({ ...r, numeric: { x: r.numeric.x! / 10, y: r.numeric.y! / 10 } }));
  const { artifact: narrow } = await trainBuiltin({ algorithm: 'logistic', params: { epochs: 3 }, seed: 3, train: narrowRows.slice(0, 240), validation: narrowRows.slice(240) });
  // overflow: tiny's logistic sibling with weights scaled up, so 1e308 (finite once standardized) drives its logits to ±infinity.
  const logistic = await trainTinyModel(1, { algorithm: 'logistic' });
  const overflow = { ...logistic, layers: logistic.layers.map((l) => ({ ...l, weights: l.weights.map((w) => w * 10) })) };
  for (const [model, doc] of [['narrow', narrow], ['overflow', overflow]] as const) {
    const written = await writeArtifact(await tempDir(), doc);
    await insertVersion(runtime.clickhouse, { model, version: '1', artifactUri: written.path, sha256: written.sha256 });
    await setAlias(runtime.clickhouse, model, '1');
  }
  await gateway.refresh();
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await runtime?.close();
});

describe('prediction API (KServe v1 and v2)', () => {
  it('answers v1 predictions exactly as the model predicts the same rows, in both instance forms', async () => {
    const expected = predict(artifact, rows);
    const probabilities = predictProba(artifact, rows);
    const structured = rows.map((r, i) => ({ event_id: `s-${i}`, entity_id: `user-${i}`, numeric: r.numeric, categorical: r.categorical }));
    const flat = rows.map((r) => ({ ...r.numeric, ...r.categorical }));
    for (const instances of [structured, flat]) {
      const res = await post('/v1/models/tiny:predict', { instances });
      expect(res.status).toBe(200);
      const { predictions } = (await res.json()) as { predictions: { event_id: string; label: string; score: number; probabilities: Record<string, number>; model_version: string; variant: string }[] };
      expect(predictions.map((p) => p.label)).toEqual(expected.map((p) => p.label));
      expect(predictions.map((p) => p.score)).toEqual(expected.map((p) => p.score));
      expect(predictions.map((p) => artifact.classes.map((c) => p.probabilities[c]))).toEqual(probabilities);
      expect(predictions.every((p) => p.model_version === '1' && p.variant === 'champion' && p.event_id.length > 0)).toBe(true);
    }
  });

  it('answers v2 inference with one tensor per feature, or one BYTES input of instances, as the model predicts', async () => {
    const expected = predict(artifact, rows);
    const n = rows.length;
    const perFeature = {
      id: 'req-1',
      inputs: [
        { name: 'x', shape: [n], datatype: 'FP64', data: rows.map((r) => r.numeric.x) },
        { name: 'y', shape: [n, 1], datatype: 'FP32', data: rows.map((r) => [r.numeric.y]) },
        { name: 'color', shape: [n], datatype: 'BYTES', data: rows.map((r) => r.categorical.color) },
        { name: 'event_id', shape: [n], datatype: 'BYTES', data: rows.map((_, i) => `v2-${i}`) },
      ],
    };
    const asInstances = { inputs: [{ name: 'instances', shape: [n], datatype: 'BYTES', data: rows.map((r) => JSON.stringify({ numeric: r.numeric, categorical: r.categorical })) }] };
    for (const body of [perFeature, asInstances]) {
      const res = await post('/v2/models/tiny/infer', body);
      expect(res.status).toBe(200);
      const out = (await res.json()) as { model_name: string; model_version: string; id: string; outputs: { name: string; shape: number[]; data: unknown[]; parameters?: Record<string, string> }[] };
      expect(out).toMatchObject({ model_name: 'tiny', model_version: '1' });
      const tensor = (name: string) => out.outputs.find((o) => o.name === name)!;
      expect(tensor('label').data).toEqual(expected.map((p) => p.label));
      expect(tensor('score').data).toEqual(expected.map((p) => p.score));
      expect(tensor('probabilities').shape).toEqual([n, 2]);
      expect(JSON.parse(tensor('probabilities').parameters!.classes!)).toEqual(artifact.classes);
      expect(tensor('probabilities').data).toEqual(predictProba(artifact, rows).flat());
      expect(tensor('variant').data).toEqual(rows.map(() => 'champion'));
    }
    const first = (await json(await post('/v2/models/tiny/infer', perFeature))) as { id: string; outputs: { name: string; data: unknown[] }[] };
    expect(first.id).toBe('req-1');
    expect(first.outputs.find((o) => o.name === 'event_id')!.data).toEqual(rows.map((_, i) => `v2-${i}`));
    const only = (await json(await post('/v2/models/tiny/infer', { ...perFeature, outputs: [{ name: 'label' }] }))) as { outputs: { name: string }[] };
    expect(only.outputs.map((o) => o.name)).toEqual(['label']);
  });

  it('describes the model: ready status, v2 metadata with the champion features as inputs, health', async () => {
    expect(await json(await fetch(`${runtime.url}/v1/models/tiny`))).toEqual({ name: 'tiny', ready: true });
    expect(await json(await fetch(`${runtime.url}/v2/models/tiny/ready`))).toEqual({ name: 'tiny', ready: true });
    expect(await json(await fetch(`${runtime.url}/v2/health/live`))).toEqual({ live: true });
    expect((await fetch(`${runtime.url}/v2/health/ready`)).status).toBe(200);
    const meta = (await json(await fetch(`${runtime.url}/v2/models/tiny`))) as { name: string; versions: string[]; platform: string; inputs: { name: string; datatype: string }[]; outputs: { name: string }[] };
    expect(meta).toMatchObject({ name: 'tiny', versions: ['1'], platform: 'driftloop_builtin' });
    expect(meta.inputs).toEqual([
      { name: 'x', datatype: 'FP64', shape: [-1] },
      { name: 'y', datatype: 'FP64', shape: [-1] },
      { name: 'color', datatype: 'BYTES', shape: [-1] },
      { name: 'event_id', datatype: 'BYTES', shape: [-1] },
      { name: 'entity_id', datatype: 'BYTES', shape: [-1] },
    ]);
    expect(meta.outputs.map((o) => o.name)).toEqual(['label', 'score', 'probabilities', 'model_version', 'variant', 'event_id']);
    const { models } = (await json(await fetch(`${runtime.url}/gateway/models`))) as { models: { model: string; serving: unknown }[] };
    expect(models.find((m) => m.model === 'tiny')!.serving).toMatchObject({ champion: '1', format: 'driftloop.builtin', canary: null, shadow: null });
  });

  it('refuses malformed requests with 400 naming the instance and field', async () => {
    const cases: [string, unknown, RegExp][] = [
      ['/v1/models/tiny:predict', '{"instances": [', /JSON/i],
      ['/v1/models/tiny:predict', { rows: [] }, /\/instances: must be an array/],
      ['/v1/models/tiny:predict', { instances: [] }, /\/instances: must hold at least one instance/],
      ['/v1/models/tiny:predict', { instances: [{ x: 1 }, [1, 2]] }, /\/instances\/1: must be an object/],
      ['/v1/models/tiny:predict', '{"instances": [{"x": 1}, {"x": 1e400}]}', /\/instances\/1\/x: must be a finite number \(got Infinity\)/],
      ['/v1/models/tiny:predict', { instances: [{ numeric: { x: 'high' } }] }, /\/instances\/0\/numeric\/x: must be a finite number/],
      ['/v1/models/tiny:predict', { instances: [{ x: '1.5' }] }, /\/instances\/0\/x: feature x is numeric for this model/],
      ['/v1/models/tiny:predict', { instances: [{ numeric: {}, extra: 1 }] }, /\/instances\/0\/extra: unknown field/],
      ['/v1/models/tiny:predict', { instances: [{ x: true }] }, /\/instances\/0\/x: must be a number, a string or null/],
      ['/v1/models/tiny:predict', { instances: Array.from({ length: 51 }, () => ({ x: 1 })) }, /holds 51 instances \(at most 50/],
      ['/v2/models/tiny/infer', { inputs: [{ name: 'x', shape: [2], datatype: 'FP64', data: [1] }] }, /\/inputs\/0\/data: holds 1 values, shape \[2\] needs 2/],
      ['/v2/models/tiny/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'COMPLEX', data: [1] }] }, /\/inputs\/0\/datatype/],
      ['/v2/models/tiny/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }, { name: 'y', shape: [2], datatype: 'FP64', data: [1, 2] }] }, /\/inputs\/1\/shape: has 2 rows/],
      ['/v2/models/tiny/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'INT64', data: [1.5] }] }, /\/inputs\/0\/data\/0: must be an integer/],
      ['/v2/models/tiny/infer', { inputs: [{ name: 'instances', shape: [1], datatype: 'BYTES', data: ['{not json'] }] }, /\/inputs\/0\/data\/0: is not JSON/],
      ['/v2/models/tiny/infer', { instances: [] }, /\/inputs: must be a non-empty array/],
    ];
    for (const [path, body, reason] of cases) {
      const res = await post(path, body);
      const text = await res.text();
      expect({ path, body, status: res.status }).toEqual({ path, body, status: 400 });
      expect(text).toMatch(reason);
    }
  });

  it('applies one input contract at both doors: 400 with the path and reason, never a 500 or a 200 with garbage', async () => {
    const many = Object.fromEntries(Array.from({ length: 1001 }, (_, k) => [`f${k}`, 1]));
    const longName = 'f'.repeat(129);
    const tensor = (name: string, datatype: string, data: unknown[], shape: number[] = [data.length]) => ({ name, shape, datatype, data });
    const cases: [string, unknown, string][] = [
      // v2 data nested deeper than [[v]]: was a 500 from flattening it.
      ['/v2/models/tiny/infer', { inputs: [tensor('x', 'FP64', [[[1]]], [1, 1])] }, '/inputs/0/data/0/0: must be a value: data nests at most one level ([[v], [v]] for shape [n, 1]) (got an array)'],
      // v2 skipped v1's feature count and name length: was a 200 whose events the ingest dead-lettered.
      ['/v1/models/tiny:predict', { instances: [many] }, '/instances/0: has 1001 features (at most 1000)'],
      ['/v2/models/tiny/infer', { inputs: Object.keys(many).map((name) => tensor(name, 'FP64', [1])) }, '/inputs: has 1001 features (at most 1000)'],
      ['/v1/models/tiny:predict', { instances: [{ [longName]: 1 }] }, `/instances/0/${longName}: a feature name must have 1 to 128 characters`],
      ['/v2/models/tiny/infer', { inputs: [tensor(longName, 'FP64', [1])] }, '/inputs/0/name: a feature name must have 1 to 128 characters'],
      // 1e308: was a 200 with score null and the first class.
      ['/v1/models/narrow:predict', { instances: [{ x: 1e308, y: 0 }] }, '/instances/0/x: feature x = 1e+308 is out of range for model version 1: standardized, (x - '],
      ['/v2/models/narrow/infer', { inputs: [tensor('y', 'FP64', [0]), tensor('x', 'FP64', [1e308])] }, '/inputs/1/data/0: feature x = 1e+308 is out of range for model version 1'],
      ['/v1/models/overflow:predict', { instances: [{ x: 0.5, y: 0 }, { numeric: { x: 1e308, y: 0 } }] }, '/instances/1/numeric/x: model version 1 answers a non-finite probability for this instance: feature x = 1e+308 standardizes to '],
      ['/v2/models/overflow/infer', { inputs: [tensor('y', 'FP64', [0, 0]), tensor('x', 'FP64', [0.5, 1e308])] }, '/inputs/1/data/1: model version 1 answers a non-finite probability for this instance: feature x'],
      ['/v2/models/overflow/infer', { inputs: [tensor('instances', 'BYTES', [JSON.stringify({ x: 1e308, y: 0 })])] }, '/inputs/0/data/0: model version 1 answers a non-finite probability'],
      ['/v2/models/tiny/infer', '{"inputs": [{"name": "x", "shape": [1], "datatype": "FP64", "data": [1e400]}]}', '/inputs/0/data/0: must be a finite number (got Infinity)'],
      ['/v2/models/tiny/infer', { inputs: [tensor('x', 'INT8', [300])] }, '/inputs/0/data/0: must be an integer in [-128, 127] for datatype INT8 (got 300)'],
      ['/v2/models/tiny/infer', { inputs: [tensor('x', 'UINT64', [-1])] }, '/inputs/0/data/0: must be an integer in [0, 9007199254740991] for datatype UINT64 (got -1)'],
      // A feature in the map of the other kind: was scored as missing.
      ['/v1/models/tiny:predict', { instances: [{ numeric: { y: 0 }, categorical: { x: '1.5' } }] }, '/instances/0/categorical/x: feature x is numeric for this model: send it under "numeric", not "categorical"'],
      ['/v2/models/tiny/infer', { inputs: [tensor('instances', 'BYTES', [{ numeric: { x: 1, color: 2 } }])] }, '/inputs/0/data/0/numeric/color: feature color is categorical for this model: send it under "categorical", not "numeric"'],
    ];
    for (const [path, body, message] of cases) {
      const res = await post(path, body);
      const answer = (await res.json()) as { error: string; message: string };
      expect({ path, status: res.status, error: answer.error }).toEqual({ path, status: 400, error: 'DL_VALIDATION' });
      expect(answer.message.startsWith(message), `${path}: ${answer.message}`).toBe(true);
    }
    // Finite values that stay finite through the model are still answered.
    for (const model of ['tiny', 'overflow']) {
      const res = await post(`/v1/models/${model}:predict`, { instances: [{ x: 1e6, y: -3, color: 'red' }] });
      expect(res.status).toBe(200);
      const { predictions } = (await res.json()) as { predictions: { score: number }[] };
      expect(Number.isFinite(predictions[0]!.score)).toBe(true);
    }
    expect((await post('/v2/models/tiny/infer', { inputs: [tensor('x', 'INT8', [-128]), tensor('y', 'FP64', [[0.5]], [1, 1])] })).status).toBe(200);
  });

  it('answers 404 for an unknown model, and says when a model has versions but no champion yet', async () => {
    const unknown = await post('/v1/models/nope:predict', { instances: [{ x: 1 }] });
    expect(unknown.status).toBe(404);
    expect(await json(unknown)).toEqual({ error: 'DL_NOT_FOUND', message: 'model nope not found' });
    for (const res of [await post('/v1/models/orphan:predict', { instances: [{ x: 1 }] }), await post('/v2/models/orphan/infer', { inputs: [{ name: 'x', shape: [1], datatype: 'FP64', data: [1] }] }), await fetch(`${runtime.url}/v2/models/orphan/ready`)]) {
      expect(res.status).toBe(404);
      expect(((await json(res)) as { message: string }).message).toBe('model orphan not found: it has versions but none is champion yet');
    }
    expect((await fetch(`${runtime.url}/v2/models/nope`)).status).toBe(404);
    expect((await post('/v1/models/tiny:explain', { instances: [{ x: 1 }] })).status).toBe(404);
  });

  it("emits every request's features and predictions to Kafka", async () => {
    const instances = rows.map((r, i) => ({ event_id: `kafka-${i}`, entity_id: `customer-${i % 3}`, numeric: r.numeric, categorical: r.categorical }));
    const res = await post('/v1/models/tiny:predict', { instances });
    const { predictions } = (await res.json()) as { predictions: { label: string; score: number }[] };
    await gateway.idle();
    const ids = new Set(instances.map((x) => x.event_id));
    const features = await readTopicEvents(runtime, 'features', (e) => ids.has(e.event_id as string));
    expect(features.map((f) => f.event.event_id).sort()).toEqual([...ids].sort());
    const f0 = features.find((f) => f.event.event_id === 'kafka-0')!;
    expect(f0.key).toBe('kafka-0');
    expect(f0.event).toMatchObject({ model: 'tiny', entity_id: 'customer-0', numeric: rows[0]!.numeric, categorical: rows[0]!.categorical });
    const emitted = await readTopicEvents(runtime, 'predictions', (e) => ids.has(e.event_id as string));
    expect(emitted).toHaveLength(instances.length);
    for (const { event } of emitted) {
      const i = Number(String(event.event_id).slice('kafka-'.length));
      expect(event).toMatchObject({ model: 'tiny', model_version: '1', variant: 'champion', entity_id: `customer-${i % 3}`, prediction: predictions[i]!.label, score: predictions[i]!.score });
      expect(event.latency_ms).toBeGreaterThanOrEqual(0);
    }
    const metrics = await (await fetch(`${runtime.url}/metrics`)).text();
    expect(metrics).toMatch(/driftloop_gateway_request_seconds_count\{model="tiny",variant="champion"\} \d+/);
    expect(metrics).toMatch(/driftloop_gateway_requests_total\{model="tiny",protocol="v1",status="200"\} \d+/);
    expect(metrics).toMatch(/driftloop_gateway_requests_total\{model="unknown",protocol="v1",status="404"\} \d+/);
    expect(metrics).toMatch(/driftloop_gateway_model_version_loaded\{model="tiny",variant="champion",version="1"\} 1/);
    expect(metrics).toMatch(/driftloop_gateway_emitted_total\{topic="features"\} \d+/);
  });

  it("stamps a request's feature and prediction events with the trusted caller's event time, the clock without one, and refuses a bad one naming the header", async () => {
    const instance = (id: string) => ({ event_id: id, numeric: rows[0]!.numeric, categorical: rows[0]!.categorical });
    const replayed = Date.UTC(1997, 4, 7, 10, 30);
    expect((await post('/v1/models/tiny:predict', { instances: [instance('time-iso')] }, { 'x-driftloop-event-time': new Date(replayed).toISOString() })).status).toBe(200);
    expect((await post('/v2/models/tiny/infer', { inputs: [{ name: 'instances', shape: [1], datatype: 'BYTES', data: [JSON.stringify(instance('time-ms'))] }] }, { 'x-driftloop-event-time': String(replayed + 1800_000) })).status).toBe(200);
    const before = Date.now();
    expect((await post('/v1/models/tiny:predict', { instances: [instance('time-now')] })).status).toBe(200);
    const after = Date.now();
    const bad = await post('/v1/models/tiny:predict', { instances: [instance('time-bad')] }, { 'x-driftloop-event-time': 'yesterday' });
    expect(bad.status).toBe(400);
    expect(((await json(bad)) as { message: string }).message).toBe('header x-driftloop-event-time: must be epoch milliseconds or an ISO-8601 time before 2200; got "yesterday"');
    await gateway.idle();
    const ids = new Set(['time-iso', 'time-ms', 'time-now']);
    const tsOf = (e: Record<string, unknown>): number => (e.ts instanceof Date ? e.ts.getTime() : Number(e.ts));
    for (const topic of ['features', 'predictions'] as const) {
      const events = new Map((await readTopicEvents(runtime, topic, (e) => ids.has(e.event_id as string) || e.event_id === 'time-bad')).map(({ event }) => [event.event_id as string, tsOf(event)]));
      expect(events.get('time-iso'), topic).toBe(replayed);
      expect(events.get('time-ms'), topic).toBe(replayed + 1800_000);
      expect(events.get('time-now')!, topic).toBeGreaterThanOrEqual(before);
      expect(events.get('time-now')!, topic).toBeLessThanOrEqual(after);
      expect(events.has('time-bad'), topic).toBe(false);
    }
  });
});
