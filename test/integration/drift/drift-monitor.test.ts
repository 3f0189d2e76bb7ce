import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, createHttpServer, fromDateTime64Text, hmacSha256Hex, type Registry } from '../../../services/common/index.js';
import { createMetricsRegistry } from '../../../services/common/index.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import { createAlertSender, createDriftMonitor, DEFAULT_POLICY, mergePolicy, registerDriftRoutes, verifyDriftloopSignature, type DriftMonitor, type DriftPolicy } from '../../../services/drift/index.js';
import type { AlertSender } from '../../../services/drift/alerts/index.js';
import { saveEvaluation } from '../../../services/evaluator/store.js';
import { saveVersion, type ModelVersion } from '../../../services/registry/store.js';
import { saveRollout } from '../../../services/rollout/store.js';
import { createServer } from 'node:http';
import { insertFeatures, insertLabels, insertPredictions, normal, prng, type FeatureRow } from '../../support/drift-data.js';
import { readTopicEvents, startTestRuntime } from '../../support/runtime.js';
import { uniqueName, waitFor } from '../../support/index.js';

const T0 = Date.UTC(2026, 2, 1);
const WINDOW = 2000;
const REF_ROWS = 6000;
const CLEAN_WINDOWS = 5;
const DRIFT_WINDOWS = 3;

type Change = 'none' | 'mean' | 'variance' | 'category' | 'prediction';

let runtime: Runtime;
const monitors: DriftMonitor[] = [];
let policy: DriftPolicy;

/** Reference rows, then clean windows, then (for a change) drifted windows; one event per second. */
async function stream(model: string, change: Change, windows: { clean: number; drifted: number; recovered?: number }, seed: number): Promise<void> {
  const rand = prng(seed);
  const z = normal(rand);
  const rows: FeatureRow[] = [];
  const preds = [];
  const driftFrom = REF_ROWS + windows.clean * WINDOW;
  const driftTo = driftFrom + windows.drifted * WINDOW;
  const total = driftTo + (windows.recovered ?? 0) * WINDOW;
  for (let i = 0; i < total; i++) {
    const drifted = i >= driftFrom && i < driftTo ? change : 'none';
    const numeric: Record<string, number> = {};
    for (let f = 0; f < 20; f++) numeric[`f${String(f).padStart(2, '0')}`] = z() * (drifted === 'variance' && f === 3 ? Math.SQRT2 : 1) + (drifted === 'mean' && f < 3 ? 0.5 : 0);
    const plan = drifted === 'category' && rand() < 0.2 ? 'enterprise' : ['free', 'basic', 'pro', 'team', 'edu'][Math.floor(rand() * 5)]!;
    const ts = T0 + i * 1000;
    rows.push({ event_id: `${model}-${i}`, ts, numeric, categorical: { plan } });
    const score = 1 / (1 + Math.exp(-(z() + (drifted === 'prediction' ? 1 : 0))));
    preds.push({ event_id: `${model}-${i}`, ts, variant: 'champion', prediction: score >= 0.5 ? 'yes' : 'no', score });
  }
  await insertFeatures(runtime.clickhouse, model, rows);
  await insertPredictions(runtime.clickhouse, model, preds);
}

function monitor(clock?: { now(): number }, alerts?: AlertSender, extra: { policies?: Map<string, DriftPolicy>; openRunTimeoutMs?: number } = {}): DriftMonitor {
  const m = createDriftMonitor({
    clock,
    alerts,
    bus: runtime.bus,
    clickhouse: runtime.clickhouse,
    codec: runtime.codec,
    logger: silentLogger(),
    metrics: createMetricsRegistry({ processMetrics: false }),
    settings: {
      topicPrefix: runtime.config.topicPrefix, groupId: uniqueName('drift'), pollIntervalMs: 3_600_000, latenessMs: 0, epsilon: 1e-4,
      openRunTimeoutMs: extra.openRunTimeoutMs ?? 3_600_000, defaultPolicy: policy, policies: extra.policies ?? new Map(),
    },
  });
  monitors.push(m);
  return m;
}

async function reference(m: DriftMonitor, model: string): Promise<void> {
  await m.buildReference({ model, modelVersion: 'v1', from: T0, to: T0 + REF_ROWS * 1000, adaptiveChunks: 0 });
}

/** The trainer's terminal state for a run, on training-results as a trainer sends it; resolves once the monitor recorded it. */
async function trainerReports(model: string, runId: string, causeRef: string, state: 'done' | 'failed', ts: number): Promise<void> {
  const result = {
    event_id: `tr-${runId}`, model, ts, run_id: runId, cause: { kind: 'alert', ref: causeRef, detail: '' }, state, data_version: null, candidate_version: null,
    trials: state === 'done' ? 1 : 0, best_params: {}, metrics: {}, artifact_uri: null, artifact_sha256: null, message: state === 'done' ? '' : 'no labeled events',
  };
  await (await runtime.bus.producer()).send(`${runtime.config.topicPrefix}training-results`, [{ key: model, value: await runtime.codec.encode('training-results', result) }]);
  await waitFor(async () => (await runtime.clickhouse.query('SELECT 1 FROM {db:Identifier}.retrain_run_states WHERE run_id = {run:String}', { run: runId })).length > 0, { message: `${state} state of ${runId} recorded`, timeoutMs: 60_000 });
}

interface StoredReport { window_start: string; window_end: string; decision: string; run_id: string | null; event_id: string; report: string }
const reports = (model: string) =>
  runtime.clickhouse.query<StoredReport>('SELECT window_start, window_end, decision, run_id, event_id, report FROM {db:Identifier}.drift_reports FINAL WHERE model = {model:String} ORDER BY window_start', { model });
const requests = (model: string) => runtime.clickhouse.query<{ run_id: string; cause_kind: string; cause_ref: string }>('SELECT run_id, cause_kind, cause_ref FROM {db:Identifier}.retrain_requests FINAL WHERE model = {model:String}', { model });

/** Index of the first window (0 = first after the reference) whose decisive test of `feature` drifted. */
function firstDrift(stored: StoredReport[], feature: string, variant = ''): { index: number; test: string } | null {
  for (const [index, r] of stored.entries()) {
    const hit = (JSON.parse(r.report) as { features: { feature: string; variant: string; decisive: boolean; drifted: boolean; test: string }[] }).features.find((f) => f.feature === feature && f.variant === variant && f.decisive && f.drifted);
    if (hit) return { index, test: hit.test };
  }
  return null;
}

beforeAll(async () => {
  runtime = await startTestRuntime();
  policy = mergePolicy(DEFAULT_POLICY, { windowRows: WINDOW }, 'test');
}, 60_000);

afterAll(async () => {
  for (const m of monitors) await m.stop();
  await runtime?.close();
});

describe('drift monitor on the embedded engines', () => {
  it.each([
    ['mean', ['f00', 'f01', 'f02'], 'wasserstein', ''],
    ['variance', ['f03'], 'wasserstein', ''],
    ['category', ['plan'], 'js', ''],
    ['prediction', ['score'], 'wasserstein', 'champion'],
  ] as const)('detects a %s change within 2 windows by the expected statistic', async (change, features, test, variant) => {
    const model = `m-${change}`;
    await stream(model, change, { clean: CLEAN_WINDOWS, drifted: DRIFT_WINDOWS }, change.length * 31);
    const m = monitor();
    await reference(m, model);
    await m.tick();
    const stored = await reports(model);
    expect(stored).toHaveLength(CLEAN_WINDOWS + DRIFT_WINDOWS - 1); // the last window waits for a later event
    for (const feature of features) {
      const first = firstDrift(stored, feature, variant);
      expect(first, `${feature} drift`).not.toBeNull();
      expect(first!.index).toBeGreaterThanOrEqual(CLEAN_WINDOWS);
      expect(first!.index).toBeLessThanOrEqual(CLEAN_WINDOWS + 1);
      expect(first!.test).toBe(test);
    }
    if (change === 'prediction') {
      // Champion prediction drift in 2 windows in a row opens exactly one run, linked to the report,
      // and the request is on retrain-requests keyed by the model.
      const opened = await requests(model);
      expect(opened).toHaveLength(1);
      expect(opened[0]!.cause_kind).toBe('drift');
      const retrainReport = stored.find((r) => r.decision === 'retrain')!;
      expect(retrainReport.event_id).toBe(opened[0]!.cause_ref);
      expect(retrainReport.run_id).toBe(opened[0]!.run_id);
      const published = await readTopicEvents(runtime, 'retrain-requests', (e) => e.model === model);
      expect(published).toHaveLength(1);
      expect(published[0]).toMatchObject({ key: model, event: { run_id: opened[0]!.run_id, cause: { kind: 'drift', ref: retrainReport.event_id } } });
      const reportsOnTopic = await readTopicEvents(runtime, 'drift-reports', (e) => e.model === model);
      expect(reportsOnTopic.map((r) => r.event.event_id).sort()).toEqual(stored.map((r) => r.event_id).sort());
    }
  }, 120_000);

  it('opens no retrain over 50 windows of a stream without drift', async () => {
    const model = 'm-control';
    await stream(model, 'none', { clean: 51, drifted: 0 }, 4242);
    const m = monitor();
    await reference(m, model);
    await m.tick();
    const stored = await reports(model);
    expect(stored).toHaveLength(50);
    expect(stored.filter((r) => r.decision === 'retrain')).toHaveLength(0);
    expect(await requests(model)).toHaveLength(0);
  }, 180_000);

  it('neither skips nor repeats a window when the monitor restarts mid-stream', async () => {
    const model = 'm-restart';
    await stream(model, 'none', { clean: 4, drifted: 0 }, 99);
    const first = monitor();
    await reference(first, model);
    await first.tick();
    await first.stop();
    expect(await reports(model)).toHaveLength(3);
    // More events arrive while it is down; a new instance picks up at the first undecided window.
    const rand = prng(100);
    const z = normal(rand);
    const base = REF_ROWS + 4 * WINDOW;
    await insertFeatures(runtime.clickhouse, model, Array.from({ length: 3 * WINDOW }, (_, i) => ({ event_id: `${model}-late-${i}`, ts: T0 + (base + i) * 1000, numeric: { f00: z() }, categorical: { plan: 'free' } })));
    const second = monitor();
    await second.tick();
    await second.tick();
    const stored = await reports(model);
    expect(stored).toHaveLength(6);
    expect(new Set(stored.map((r) => r.event_id)).size).toBe(6);
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.window_start).toBe(stored[i - 1]!.window_end);
  }, 120_000);

  it('turns a burst of 1000 identical Grafana alerts into one run and refuses a forged signature', async () => {
    const model = 'm-hooks';
    await stream(model, 'none', { clean: 1, drifted: 0 }, 5);
    const m = monitor();
    await reference(m, model);
    const registry: Registry = createMetricsRegistry({ processMetrics: false });
    const server = createHttpServer({ logger: silentLogger(), registry });
    await registerDriftRoutes(server.app, { drift: () => m, adminToken: 'admin', hooks: { bearerToken: '', hmacSecret: 'hook-secret', modelLabel: 'model' }, logger: silentLogger(), registry });
    const alert = { status: 'firing', labels: { alertname: 'HighDrift', model }, annotations: { summary: 'drift' }, startsAt: '2026-03-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'abc123' };
    const body = JSON.stringify({ receiver: 'driftloop', status: 'firing', orgId: 1, alerts: [alert], groupLabels: {}, commonLabels: alert.labels, commonAnnotations: {}, externalURL: '', version: '1', groupKey: 'k', truncatedAlerts: 0 });
    const headers = { 'content-type': 'application/json', 'x-grafana-alerting-signature': hmacSha256Hex('hook-secret', body) };

    const forged = await server.app.inject({ method: 'POST', url: '/hooks/grafana', payload: body, headers: { ...headers, 'x-grafana-alerting-signature': hmacSha256Hex('wrong', body) } });
    expect(forged.statusCode).toBe(401);
    expect(await requests(model)).toHaveLength(0);

    const answers = await Promise.all(Array.from({ length: 1000 }, () => server.app.inject({ method: 'POST', url: '/hooks/grafana', payload: body, headers })));
    expect(answers.every((a) => a.statusCode === 202)).toBe(true);
    const opened = await requests(model);
    expect(opened).toHaveLength(1);
    expect(opened[0]!.cause_kind).toBe('alert');
    const statuses = answers.map((a) => (a.json() as { results: { status: string }[] }).results[0]!.status);
    expect(statuses.filter((s) => s === 'opened')).toHaveLength(1);
    // A different alert for the same model joins the open run instead of opening another.
    const other = await m.retrain.request({ model, cause: { kind: 'alert', ref: 'other', detail: '' }, requestedBy: 'test' });
    expect(other).toEqual({ runId: opened[0]!.run_id, status: 'joined' });
    await server.close();
  }, 120_000);

  it('keeps a run open until its release is over (trained, and its rollout ended), then holds automatic runs for the cooldown', async () => {
    const model = 'm-lifecycle';
    await stream(model, 'none', { clean: 1, drifted: 0 }, 17);
    let now = Date.UTC(2026, 5, 1);
    const m = monitor({ now: () => now });
    await reference(m, model);
    await m.start();
    const first = await m.retrain.request({ model, cause: { kind: 'alert', ref: 'a1', detail: '' }, requestedBy: 'test' });
    expect(first.status).toBe('opened');
    expect(await m.retrain.request({ model, cause: { kind: 'drift', ref: 'r1', detail: '' }, requestedBy: 'test' })).toEqual({ runId: first.runId, status: 'joined' });

    // The trainer finishes the run: its terminal state arrives over Kafka. Its candidate is still to be evaluated and rolled out.
    await trainerReports(model, first.runId, 'a1', 'done', now);
    expect(await m.retrain.request({ model, cause: { kind: 'drift', ref: 'r1b', detail: '' }, requestedBy: 'test' })).toEqual({ runId: first.runId, status: 'joined' });
    // Its canary is running: a retrain now would supersede the candidate being judged.
    const rollout = { rolloutId: `${model}@2`, model, version: '2', championVersion: '1', runId: first.runId, revision: 1, phase: 'canary' as const, step: 1, weight: 0.1, state: 'running' as const, reason: '', steps: [0.1], failedChecks: 0, checks: [], stepStartedAt: now, startedAt: now, updatedAt: now };
    await saveRollout(runtime.clickhouse, rollout);
    expect((await m.retrain.request({ model, cause: { kind: 'drift', ref: 'r1c', detail: '' }, requestedBy: 'test' })).status).toBe('joined');
    await saveRollout(runtime.clickhouse, { ...rollout, revision: 2, phase: 'done', state: 'promoted', weight: 1 });

    now += 10 * 60_000; // within the 1 h cooldown
    // The answer names the run that holds the request back.
    expect(await m.retrain.request({ model, cause: { kind: 'drift', ref: 'r2', detail: '' }, requestedBy: 'test' })).toEqual({ runId: first.runId, status: 'cooldown' });
    const manual = await m.retrain.request({ model, cause: { kind: 'manual', ref: 'u1', detail: '' }, requestedBy: 'test' });
    expect(manual.status).toBe('opened');
    expect(await requests(model)).toHaveLength(2);

    // A run whose candidate the evaluator turns down is over too: a person may ask again at once.
    await trainerReports(model, manual.runId, 'u1', 'done', now);
    expect((await m.retrain.request({ model, cause: { kind: 'manual', ref: 'u2', detail: '' }, requestedBy: 'test' })).status).toBe('joined');
    await saveEvaluation(runtime.clickhouse, {
      evaluationId: `eval-${manual.runId}`, model, runId: manual.runId, cause: { kind: 'manual', ref: 'u1' }, candidateVersion: '', championVersion: '2', holdout: 'test-split: 100 rows', holdoutRows: 100,
      artifactUri: '', artifactSha256: '', dataVersion: '', createdAt: now, decision: 'reject', reason: 'worse than the champion', candidateMetrics: {}, championMetrics: {}, candidateCi: {}, championCi: {}, gates: [], slices: [],
    });
    const third = await m.retrain.request({ model, cause: { kind: 'manual', ref: 'u2', detail: '' }, requestedBy: 'test' });
    expect(third.status).toBe('opened');

    // Its candidate registered, awaiting a person's approval: still open. Rejected by that person: over.
    await trainerReports(model, third.runId, 'u2', 'done', now);
    const version: ModelVersion = {
      model, version: '3', revision: 1, status: 'pending', artifactUri: '/x/model.json', artifactSha256: '', artifactFormat: 'driftloop.builtin', artifacts: {}, runId: third.runId,
      dataVersion: '', evaluationId: '', cause: { kind: 'manual', ref: 'u2' }, lineage: {}, metrics: {}, tags: {}, actor: 'evaluator', reason: '', createdAt: now, updatedAt: now,
    };
    await saveVersion(runtime.clickhouse, version);
    expect((await m.retrain.request({ model, cause: { kind: 'manual', ref: 'u3', detail: '' }, requestedBy: 'test' })).status).toBe('joined');
    await saveVersion(runtime.clickhouse, { ...version, revision: 2, status: 'rejected', actor: 'alice', reason: 'not this one' });
    expect((await m.retrain.request({ model, cause: { kind: 'manual', ref: 'u3', detail: '' }, requestedBy: 'test' })).status).toBe('opened');
  }, 120_000);

  it('after a run that failed, holds the next automatic cause for a backoff of event time, not the whole cooldown', async () => {
    const model = 'm-failed';
    await stream(model, 'none', { clean: 1, drifted: 0 }, 19);
    const m = monitor();
    await reference(m, model);
    await m.start();
    const first = await m.retrain.request({ model, cause: { kind: 'alert', ref: 'f1', detail: '' }, requestedBy: 'test' });
    expect(first.status).toBe('opened');
    const [{ at }] = await runtime.clickhouse.query<{ at: string }>('SELECT toUnixTimestamp64Milli(ts) AS at FROM {db:Identifier}.retrain_requests FINAL WHERE run_id = {run:String}', { run: first.runId }) as [{ at: string }];
    const openedAt = Number(at);
    // The trainer gives up at once (no labeled events yet).
    await trainerReports(model, first.runId, 'f1', 'failed', openedAt);

    // The 1 h cooldown's backoff after one failure is 1/16 of it: 225 s of event time.
    const drift = (ref: string, afterMs: number) => m.retrain.request({ model, cause: { kind: 'drift', ref, detail: '' }, requestedBy: 'test', at: openedAt + afterMs });
    expect(await drift('d1', 200_000)).toEqual({ runId: first.runId, status: 'cooldown' });
    const second = await drift('d2', 240_000);
    expect(second.status).toBe('opened');
    expect(second.runId).not.toBe(first.runId);
  }, 120_000);

  it('with autoRetrain off opens no run for drift, alerts or schedules, saying so, while a person still can', async () => {
    const model = 'm-manual-only';
    // The champion's predictions drift: with retraining on, this opens a run (see the prediction case above).
    await stream(model, 'prediction', { clean: 2, drifted: 4 }, 29);
    const manualOnly = mergePolicy(policy, { autoRetrain: false, scheduleIntervalMs: 7_200_000 }, 'test');
    const m = monitor(undefined, undefined, { policies: new Map([[model, manualOnly]]) });
    await reference(m, model);
    await m.tick();
    await m.tick();
    const stored = await reports(model);
    expect(stored.length).toBeGreaterThan(2);
    expect(stored.map((r) => r.decision)).not.toContain('retrain');
    expect(stored.some((r) => JSON.parse(r.report).reasons.includes('automatic retraining is off for this model (autoRetrain: false)'))).toBe(true);
    expect(await m.retrain.request({ model, cause: { kind: 'alert', ref: 'x', detail: '' }, requestedBy: 'test' })).toMatchObject({ status: 'off' });
    expect(await requests(model)).toEqual([]);
    expect((await m.retrain.request({ model, cause: { kind: 'manual', ref: 'person', detail: '' }, requestedBy: 'test' })).status).toBe('opened');
    expect(await requests(model)).toHaveLength(1);
  }, 120_000);

  it('requests a scheduled retrain once per period of event time, also across a restart', async () => {
    const model = 'm-schedule';
    await stream(model, 'none', { clean: 1, drifted: 0 }, 23);
    // Slots of event time: the stream's events are one a second, so a 2-hour slot is 7200 of them.
    const scheduled = mergePolicy(policy, { scheduleIntervalMs: 7_200_000 }, 'test');
    let now = Date.UTC(2026, 6, 1, 12);
    const make = (): DriftMonitor => monitor({ now: () => now }, undefined, { policies: new Map([[model, scheduled]]), openRunTimeoutMs: 60_000 });
    const first = make();
    await reference(first, model);
    await first.tick();
    await first.tick();
    const [request] = await requests(model);
    expect(request).toMatchObject({ cause_kind: 'schedule', cause_ref: `every-7200000ms:${Math.floor((T0 + REF_ROWS * 1000) / 7_200_000)}` });
    await make().tick(); // a restart: the slot of its progress was requested, and that run is still open
    expect(await requests(model)).toHaveLength(1);
    now += 86_400_000; // a day of processing time: the open run timed out, but event time has not moved
    await first.tick();
    expect(await requests(model)).toHaveLength(1);
    // Events of the next slots arrive: the monitor's windows move into them, and the schedule asks again.
    const z = normal(prng(24));
    const start = T0 + (REF_ROWS + WINDOW) * 1000;
    await insertFeatures(runtime.clickhouse, model, Array.from({ length: 3 * WINDOW }, (_, i) => ({
      event_id: `${model}-later-${i}`, ts: start + i * 3000, numeric: Object.fromEntries(Array.from({ length: 20 }, (_, f) => [`f${String(f).padStart(2, '0')}`, z()])), categorical: { plan: 'pro' },
    })));
    await first.tick();
    await first.tick();
    expect((await requests(model)).map((r) => r.cause_kind)).toEqual(['schedule', 'schedule']);
  }, 120_000);

  it('asks for a retrain when ADWIN sees the champion\'s error rate rise, stamped in event time and with the policy\'s training window', async () => {
    const model = 'm-errors';
    // Features without drift; the champion answers right 90% of the time, then (from the fourth window) 60%.
    await stream(model, 'none', { clean: 7, drifted: 0 }, 41);
    const rand = prng(42);
    const labels = Array.from({ length: REF_ROWS + 7 * WINDOW }, (_, i) => ({ event_id: `${model}-${i}`, ts: T0 + i * 1000, wrong: rand() < (i < REF_ROWS + 3 * WINDOW ? 0.1 : 0.4) }));
    const [stored] = await runtime.clickhouse.query<{ p: string[] }>('SELECT groupArray(prediction) AS p FROM (SELECT prediction FROM {db:Identifier}.predictions WHERE model = {model:String} ORDER BY ts)', { model });
    await insertLabels(runtime.clickhouse, model, labels.map((l, i) => ({ event_id: l.event_id, ts: l.ts, label: l.wrong === (stored!.p[i] === 'yes') ? 'no' : 'yes' })));
    const watching = mergePolicy(policy, { errorDetector: 'adwin', trainingWindowMs: 3_600_000, driftShare: 1, predictionDrift: false, maxAccuracyDrop: 0 }, 'test');
    const m = createDriftMonitor({
      bus: runtime.bus, clickhouse: runtime.clickhouse, codec: runtime.codec, logger: silentLogger(), metrics: createMetricsRegistry({ processMetrics: false }),
      settings: { topicPrefix: runtime.config.topicPrefix, groupId: uniqueName('drift'), pollIntervalMs: 3_600_000, latenessMs: 0, epsilon: 1e-4, openRunTimeoutMs: 3_600_000, defaultPolicy: policy, policies: new Map([[model, watching]]) },
    });
    monitors.push(m);
    await reference(m, model);
    await m.tick();
    const decided = await reports(model);
    const firstRetrain = decided.findIndex((r) => r.decision === 'retrain');
    // The rise starts with window 3 (0-based); ADWIN needs some of it, and nothing before it retrains.
    expect(firstRetrain).toBeGreaterThanOrEqual(3);
    expect(firstRetrain).toBeLessThanOrEqual(4);
    expect(JSON.parse(decided[firstRetrain]!.report).reasons).toContain("adwin detected a change in the champion's error rate");
    const [request] = await runtime.clickhouse.query<{ cause_kind: string; ts: string; params: Record<string, string> }>(
      'SELECT cause_kind, toString(ts) AS ts, params FROM {db:Identifier}.retrain_requests FINAL WHERE model = {model:String}', { model },
    );
    const windowEnd = fromDateTime64Text(decided[firstRetrain]!.window_end);
    expect(request!.cause_kind).toBe('performance');
    expect(fromDateTime64Text(request!.ts)).toBe(windowEnd);
    expect(request!.params).toEqual({ window_from: new Date(windowEnd - 3_600_000).toISOString(), window_to: new Date(windowEnd).toISOString() });
  });

  it('posts a signed drift alert while windows drift and resolves it when they stop', async () => {
    const model = 'm-alerts';
    await stream(model, 'prediction', { clean: 1, drifted: 2, recovered: 2 }, 77);
    const received: { status: string; decision: string; signed: boolean; key: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        const payload = JSON.parse(body) as { status: string; alerts: { labels: Record<string, string>; annotations: Record<string, string> }[] };
        const signed = verifyDriftloopSignature('out-secret', String(req.headers['x-driftloop-timestamp']), body, String(req.headers['x-driftloop-signature']), { maxSkewMs: Infinity });
        const alert = payload.alerts[0]!;
        if (alert.labels.alertname === 'DriftloopDrift') received.push({ status: payload.status, decision: alert.annotations.decision!, signed, key: String(req.headers['idempotency-key']) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const alerts = createAlertSender({ webhooks: [{ url: `http://127.0.0.1:${port}/hook`, hmacSecret: 'out-secret' }], logger: silentLogger(), registry: createMetricsRegistry({ processMetrics: false }) });
    const m = monitor(undefined, alerts);
    await reference(m, model);
    await m.tick();
    await alerts.flush();
    server.close();
    const decisions = (await reports(model)).map((r) => r.decision);
    expect(decisions).toEqual(['none', 'watch', 'retrain', 'none']);
    expect(received.map((r) => [r.status, r.decision])).toEqual([['firing', 'watch'], ['firing', 'retrain'], ['resolved', 'none']]);
    expect(received.every((r) => r.signed)).toBe(true);
    expect(new Set(received.map((r) => r.key)).size).toBe(3);
  }, 120_000);
});
