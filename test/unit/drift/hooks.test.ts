import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, createMetricsRegistry, silentLogger, type HttpServer, type Registry } from '../../../services/common/index.js';
import { registerDriftHooks, type DriftHooksOptions } from '../../../services/drift/hooks/index.js';
import type { RetrainInput, RetrainOutcome, RetrainRequester } from '../../../services/drift/types.js';

const TOKEN = 'hook-token-0123456789';
const SECRET = 'hook-secret-abcdef';
const NOW_MS = Date.UTC(2025, 5, 1, 12, 0, 0);

/** Stands in for the drift monitor's door: opens a run on a model's first request, joins after. */
class RecordingRequester implements RetrainRequester {
  readonly calls: RetrainInput[] = [];
  private readonly open = new Map<string, string>();

  constructor(
    private readonly models: string[],
    private readonly delayMs = 0,
  ) {}

  async knowsModel(model: string): Promise<boolean> {
    return this.models.includes(model);
  }

  async request(input: RetrainInput): Promise<RetrainOutcome> {
    this.calls.push(input);
    if (this.delayMs) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    const runId = this.open.get(input.model);
    if (runId) return { runId, status: 'joined' };
    const opened = `run-${input.model}-${this.open.size + 1}`;
    this.open.set(input.model, opened);
    return { runId: opened, status: 'opened' };
  }
}

function grafanaPayload(alerts: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    receiver: 'driftloop',
    status: 'firing',
    orgId: 1,
    alerts,
    groupLabels: {},
    commonLabels: {},
    commonAnnotations: {},
    externalURL: 'https://grafana.example/',
    version: '1',
    groupKey: '{}:{}',
    truncatedAlerts: 0,
    title: '[FIRING:1]',
    state: 'alerting',
    message: 'drift',
  };
}

function alert(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    status: 'firing',
    labels: { alertname: 'FeatureDrift', model: 'churn', team: 'ml' },
    annotations: { summary: 'PSI of tenure above 0.2' },
    startsAt: '2025-06-01T11:58:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'https://grafana.example/alerting/grafana/abc/view',
    fingerprint: 'c6eadffa33fcdf37',
    silenceURL: 'https://grafana.example/alerting/silence/new',
    values: { B: 0.31, C: 1 },
    ...overrides,
  };
}

function sign(body: string, timestamp?: string, secret = SECRET): string {
  return createHmac('sha256', secret).update(timestamp === undefined ? body : `${timestamp}:${body}`).digest('hex');
}

interface Harness {
  server: HttpServer;
  requester: RecordingRequester;
  registry: Registry;
}

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function harness(overrides: Partial<DriftHooksOptions> = {}, requester = new RecordingRequester(['churn', 'fraud'])): Promise<Harness> {
  const registry = createMetricsRegistry({ processMetrics: false });
  const server = createHttpServer({ logger: silentLogger(), registry });
  servers.push(server);
  await registerDriftHooks(server.app, {
    retrain: () => requester,
    auth: { bearerToken: TOKEN, hmacSecret: SECRET },
    logger: silentLogger(),
    registry,
    clock: { now: () => NOW_MS },
    ...overrides,
  });
  return { server, requester, registry };
}

function post(h: Harness, path: string, body: string, headers: Record<string, string> = {}) {
  return h.server.app.inject({ method: 'POST', url: path, payload: body, headers: { 'content-type': 'application/json', ...headers } });
}

const bearer = { authorization: `Bearer ${TOKEN}` };

async function hookCount(registry: Registry, labels: Record<string, string>): Promise<number> {
  const metric = registry.getSingleMetric('driftloop_drift_hook_alerts_total');
  const values = (await metric?.get())?.values ?? [];
  return values.find((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want))?.value ?? 0;
}

describe('drift alert hooks', () => {
  it('opens a retrain for a firing Grafana alert sent with the bearer token', async () => {
    const h = await harness();
    const res = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert()])), bearer);
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ results: [{ model: 'churn', fingerprint: 'c6eadffa33fcdf37', status: 'opened', run_id: 'run-churn-1' }] });
    expect(h.requester.calls).toEqual([
      {
        model: 'churn',
        requestedBy: 'hook:grafana',
        cause: { kind: 'alert', ref: 'grafana:c6eadffa33fcdf37:2025-06-01T11:58:00Z', detail: 'FeatureDrift: PSI of tenure above 0.2' },
      },
    ]);
    expect(await hookCount(h.registry, { source: 'grafana', outcome: 'opened' })).toBe(1);
  });

  it('accepts a Grafana HMAC signature of the raw body without a timestamp', async () => {
    const h = await harness();
    const body = JSON.stringify(grafanaPayload([alert()]));
    const res = await post(h, '/hooks/grafana', body, { 'x-grafana-alerting-signature': sign(body) });
    expect(res.statusCode).toBe(202);
    expect(res.json().results[0].status).toBe('opened');
  });

  it('accepts a Grafana HMAC signature over timestamp, colon and body when the timestamp is fresh', async () => {
    const h = await harness();
    const body = JSON.stringify(grafanaPayload([alert()]));
    const timestamp = String(Math.floor(NOW_MS / 1000) - 30);
    const res = await post(h, '/hooks/grafana', body, {
      'x-grafana-alerting-signature': sign(body, timestamp),
      'x-grafana-alerting-signature-timestamp': timestamp,
    });
    expect(res.statusCode).toBe(202);
  });

  it('honours configured signature and timestamp header names', async () => {
    const h = await harness({ auth: { bearerToken: '', hmacSecret: SECRET, signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp' } });
    const body = JSON.stringify(grafanaPayload([alert()]));
    const timestamp = String(Math.floor(NOW_MS / 1000));
    const res = await post(h, '/hooks/grafana', body, { 'x-signature': sign(body, timestamp), 'x-timestamp': timestamp });
    expect(res.statusCode).toBe(202);
  });

  it('refuses a forged signature with 401 and never calls the requester', async () => {
    const h = await harness();
    const body = JSON.stringify(grafanaPayload([alert()]));
    const forged = await post(h, '/hooks/grafana', body, { 'x-grafana-alerting-signature': sign(body, undefined, 'guessed-secret') });
    expect(forged.statusCode).toBe(401);
    expect(forged.json().error).toBe('DL_UNAUTHORIZED');
    const tampered = await post(h, '/hooks/grafana', body.replace('churn', 'fraud'), { 'x-grafana-alerting-signature': sign(body) });
    expect(tampered.statusCode).toBe(401);
    const wrongToken = await post(h, '/hooks/grafana', body, { authorization: `Bearer ${TOKEN}x` });
    expect(wrongToken.statusCode).toBe(401);
    const none = await post(h, '/hooks/grafana', body);
    expect(none.statusCode).toBe(401);
    expect(h.requester.calls).toHaveLength(0);
    expect(await hookCount(h.registry, { source: 'grafana', outcome: 'rejected' })).toBe(4);
  });

  it('refuses a signature whose timestamp is outside the allowed skew', async () => {
    const h = await harness();
    const body = JSON.stringify(grafanaPayload([alert()]));
    for (const offsetS of [-301, 301]) {
      const timestamp = String(Math.floor(NOW_MS / 1000) + offsetS);
      const res = await post(h, '/hooks/grafana', body, {
        'x-grafana-alerting-signature': sign(body, timestamp),
        'x-grafana-alerting-signature-timestamp': timestamp,
      });
      expect(res.statusCode).toBe(401);
    }
    // A body-only signature does not pass once a timestamp header is present.
    const res = await post(h, '/hooks/grafana', body, {
      'x-grafana-alerting-signature': sign(body),
      'x-grafana-alerting-signature-timestamp': String(Math.floor(NOW_MS / 1000)),
    });
    expect(res.statusCode).toBe(401);
    expect(h.requester.calls).toHaveLength(0);
  });

  it('refuses every request when neither a token nor a secret is configured', async () => {
    const h = await harness({ auth: { bearerToken: '', hmacSecret: '' } });
    const body = JSON.stringify(grafanaPayload([alert()]));
    const attempts: Array<Record<string, string>> = [
      { authorization: 'Bearer ' },
      { authorization: 'Bearer undefined' },
      { 'x-grafana-alerting-signature': sign(body, undefined, '') },
      {},
    ];
    for (const headers of attempts) {
      const res = await post(h, '/hooks/grafana', body, headers);
      expect(res.statusCode).toBe(401);
    }
    expect(h.requester.calls).toHaveLength(0);
  });

  it('checks credentials before it reveals anything about the body', async () => {
    const h = await harness();
    const res = await post(h, '/hooks/grafana', '{not json');
    expect(res.statusCode).toBe(401);
  });

  it('answers 409 saying what is missing when a firing alert names a model the monitor cannot act for, and opens nothing', async () => {
    const h = await harness();
    const body = JSON.stringify(grafanaPayload([alert(), alert({ labels: { alertname: 'FeatureDrift', model: 'ghost' }, fingerprint: 'aa' })]));
    const res = await post(h, '/hooks/grafana', body, bearer);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toEqual({
      error: 'DL_CONFLICT',
      message: expect.stringMatching(/^model "ghost" has no feature events in ClickHouse and no reference profile, .*POST \/drift\/models\/ghost\/reference$/),
    });
    expect(h.requester.calls).toHaveLength(0);
  });

  it('matches the Bearer scheme in any case', async () => {
    const h = await harness();
    for (const scheme of ['bearer', 'BEARER']) {
      const res = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert()])), { authorization: `${scheme} ${TOKEN}` });
      expect(res.statusCode, scheme).toBe(202);
    }
    expect((await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert()])), { authorization: `Basic ${TOKEN}` })).statusCode).toBe(401);
  });

  it('bounds a payload: the model-name pattern, at most 1000 alerts and 100 models, and echoes no long label back', async () => {
    const h = await harness();
    const long = 'x'.repeat(500_000);
    const badName = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert({ labels: { alertname: 'A', model: long } })])), bearer);
    expect(badName.statusCode).toBe(400);
    expect(badName.json().message).toMatch(/^\/alerts\/0\/labels\/model: must be a model name matching .*; got "x{64}"… \(500000 characters\)$/);
    expect(badName.body.length).toBeLessThan(500);
    const many = Array.from({ length: 1001 }, (_, i) => alert({ fingerprint: `f${i}` }));
    const tooMany = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload(many)), bearer);
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().message).toBe('/alerts: holds 1001 alerts; at most 1000 per payload');
    const models = Array.from({ length: 101 }, (_, i) => alert({ labels: { alertname: 'A', model: `m${i}` }, fingerprint: `g${i}` }));
    expect((await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload(models)), bearer)).json().message).toBe('/alerts: names 101 models; at most 100 per payload');
    const ghosts = Array.from({ length: 7 }, (_, i) => alert({ labels: { alertname: 'A', model: `ghost${i}` }, fingerprint: `h${i}` }));
    const unknown = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload(ghosts)), bearer);
    expect(unknown.statusCode).toBe(409);
    expect(unknown.json().message).toMatch(/^models "ghost0", "ghost1", "ghost2", "ghost3", "ghost4" and 2 more have no feature events/);
    expect(h.requester.calls).toHaveLength(0);
  });

  it('answers 400 naming the path when a firing alert lacks the model label', async () => {
    const h = await harness();
    const body = JSON.stringify(grafanaPayload([alert(), alert({ labels: { alertname: 'FeatureDrift' } })]));
    const res = await post(h, '/hooks/grafana', body, bearer);
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toBe('DL_VALIDATION');
    expect(res.json().message).toContain('/alerts/1/labels/model');
    expect(h.requester.calls).toHaveLength(0);
  });

  it('reads the model from the configured label', async () => {
    const h = await harness({ modelLabel: 'ml_model' });
    const missing = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert()])), bearer);
    expect(missing.json().message).toContain('/alerts/0/labels/ml_model');
    const res = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert({ labels: { alertname: 'X', ml_model: 'fraud' } })])), bearer);
    expect(res.json().results[0]).toMatchObject({ model: 'fraud', status: 'opened' });
  });

  it('answers 400 for a body that is not JSON or not the payload shape', async () => {
    const h = await harness();
    const notJson = await post(h, '/hooks/grafana', '{"alerts": [', bearer);
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().message).toContain('body is not JSON');
    const empty = await post(h, '/hooks/grafana', '', bearer);
    expect(empty.statusCode).toBe(400);
    const noAlerts = await post(h, '/hooks/grafana', JSON.stringify({ receiver: 'x' }), bearer);
    expect(noAlerts.json().message).toContain('/alerts');
    const badStatus = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert({ status: 'pending' })])), bearer);
    expect(badStatus.json().message).toContain('/alerts/0/status');
    const badLabel = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert({ labels: { model: 'churn', n: 1 } })])), bearer);
    expect(badLabel.json().message).toContain('/alerts/0/labels/n');
    const badStart = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert({ startsAt: 'yesterday' })])), bearer);
    expect(badStart.json().message).toContain('/alerts/0/startsAt');
    for (const res of [noAlerts, badStatus, badLabel, badStart]) expect(res.statusCode).toBe(400);
    expect(h.requester.calls).toHaveLength(0);
  });

  it('answers 413 for a body over the limit', async () => {
    const h = await harness({ maxBodyBytes: 2048 });
    const body = JSON.stringify(grafanaPayload([alert({ annotations: { summary: 'x'.repeat(4096) } })]));
    const res = await post(h, '/hooks/grafana', body, bearer);
    expect(res.statusCode).toBe(413);
    expect(res.json().error).toBe('DL_TOO_LARGE');
    expect(h.requester.calls).toHaveLength(0);
  });

  it('keeps the JSON parser of the rest of the app', async () => {
    const h = await harness();
    h.server.app.post('/echo', async (req) => ({ body: req.body }));
    const res = await h.server.app.inject({ method: 'POST', url: '/echo', payload: { a: 1 } });
    expect(res.json()).toEqual({ body: { a: 1 } });
  });

  it('reports a resolved alert as resolved and requests nothing', async () => {
    const h = await harness();
    const body = JSON.stringify(grafanaPayload([alert({ status: 'resolved', endsAt: '2025-06-01T12:00:00Z' }), alert({ status: 'resolved', labels: { alertname: 'Other' }, fingerprint: 'bb' })]));
    const res = await post(h, '/hooks/grafana', body, bearer);
    expect(res.statusCode).toBe(202);
    expect(res.json().results).toEqual([
      { model: 'churn', fingerprint: 'c6eadffa33fcdf37', status: 'resolved' },
      { model: null, fingerprint: 'bb', status: 'resolved' },
    ]);
    expect(h.requester.calls).toHaveLength(0);
  });

  it('answers 503 while the drift monitor is not running', async () => {
    const h = await harness({ retrain: () => undefined });
    const res = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert()])), bearer);
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toBe('DL_SHUTDOWN');
  });

  it('opens retrains from an Alertmanager version 4 payload, deriving a fingerprint when one is missing', async () => {
    const h = await harness();
    const payload = {
      version: '4',
      groupKey: '{}:{alertname="FeatureDrift"}',
      truncatedAlerts: 0,
      status: 'firing',
      receiver: 'driftloop',
      groupLabels: { alertname: 'FeatureDrift' },
      commonLabels: { alertname: 'FeatureDrift' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      alerts: [
        { status: 'firing', labels: { alertname: 'FeatureDrift', model: 'fraud' }, annotations: {}, startsAt: '2025-06-01T11:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom/graph', fingerprint: '1a30ba71cca2921f' },
        { status: 'firing', labels: { alertname: 'FeatureDrift', model: 'churn' }, annotations: { summary: 'drifted' }, startsAt: '2025-06-01T11:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: 'http://prom/graph' },
      ],
    };
    const body = JSON.stringify(payload);
    const res = await post(h, '/hooks/alertmanager', body, { 'x-grafana-alerting-signature': sign(body) });
    expect(res.statusCode).toBe(202);
    const [first, second] = res.json().results;
    expect(first).toEqual({ model: 'fraud', fingerprint: '1a30ba71cca2921f', status: 'opened', run_id: 'run-fraud-1' });
    expect(second).toMatchObject({ model: 'churn', status: 'opened' });
    expect(second.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(h.requester.calls.map((c) => c.cause.ref)).toEqual(['alertmanager:1a30ba71cca2921f:2025-06-01T11:00:00Z', `alertmanager:${second.fingerprint}:2025-06-01T11:00:00Z`]);
    expect(h.requester.calls.every((c) => c.requestedBy === 'hook:alertmanager')).toBe(true);

    const v3 = await post(h, '/hooks/alertmanager', JSON.stringify({ ...payload, version: '3' }), bearer);
    expect(v3.statusCode).toBe(400);
    expect(v3.json().message).toContain('/version');
  });

  it('reports a repeated notification of the same alert as a duplicate and joins a new alert to the open run', async () => {
    const h = await harness();
    const body = JSON.stringify(grafanaPayload([alert()]));
    await post(h, '/hooks/grafana', body, bearer);
    const again = await post(h, '/hooks/grafana', body, bearer);
    expect(again.json().results[0]).toMatchObject({ status: 'duplicate', run_id: 'run-churn-1' });
    const refired = await post(h, '/hooks/grafana', JSON.stringify(grafanaPayload([alert({ startsAt: '2025-06-01T11:59:00Z' })])), bearer);
    expect(refired.json().results[0]).toMatchObject({ status: 'joined', run_id: 'run-churn-1' });
    expect(h.requester.calls).toHaveLength(2);
  });

  it('calls the requester once for a burst of 1000 identical Grafana alerts sent concurrently', async () => {
    const h = await harness({}, new RecordingRequester(['churn'], 20));
    const body = JSON.stringify(grafanaPayload([alert()]));
    const responses = await Promise.all(Array.from({ length: 1000 }, () => post(h, '/hooks/grafana', body, bearer)));
    expect(responses.every((res) => res.statusCode === 202)).toBe(true);
    const statuses = responses.map((res) => res.json().results[0].status as string);
    expect(h.requester.calls).toHaveLength(1);
    expect(statuses.filter((s) => s === 'opened')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(999);
    expect(responses.every((res) => res.json().results[0].run_id === 'run-churn-1')).toBe(true);
    expect(await hookCount(h.registry, { source: 'grafana', outcome: 'duplicate' })).toBe(999);
  });
});
