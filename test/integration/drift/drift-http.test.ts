import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { DriftMonitor } from '../../../services/drift/index.js';
import { insertFeatures, normal, prng } from '../../support/drift-data.js';
import { uniqueName } from '../../support/index.js';
import { parse as parseYaml } from 'yaml';
import { runCli } from '../../support/process.js';
import { startServiceOverHttp } from '../../support/runtime.js';

const ADMIN = 'drift-admin-token';
const HOOK = 'drift-hook-token';
const T0 = Date.UTC(2026, 3, 1);
const MODEL = 'elec';

let runtime: Runtime;
let drift: DriftMonitor;

beforeAll(async () => {
  ({ runtime, service: drift } = await startServiceOverHttp('drift', {
    DRIFTLOOP_ADMIN_TOKEN: ADMIN,
    DRIFT_HOOK_TOKEN: HOOK,
    DRIFT_GROUP_ID: uniqueName('drift'),
    DRIFT_PROMOTION_GROUP_ID: uniqueName('promotions'),
    DRIFT_WINDOW_MS: '600000',
    DRIFT_LATENESS_MS: '0',
    DRIFT_POLL_INTERVAL_MS: '3600000',
  }));
  const z = normal(prng(3));
  // One event a second for 2 hours: the first hour is the reference, the second drifts in x.
  await insertFeatures(
    runtime.clickhouse,
    MODEL,
    Array.from({ length: 7200 }, (_, i) => ({ event_id: `e${i}`, ts: T0 + i * 1000, numeric: { x: z() + (i >= 3600 ? 1 : 0), y: z() }, categorical: { day: ['mon', 'tue'][i % 2]! } })),
  );
}, 60_000);

afterAll(async () => {
  await drift?.stop();
  await runtime?.close();
});

const call = (method: string, path: string, options: { token?: string; body?: unknown } = {}) =>
  fetch(`${runtime.url}${path}`, {
    method,
    headers: { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}), ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });

describe('drift HTTP API', () => {
  it('builds a reference only for the admin, refusing bad ranges with the reason', async () => {
    const body = { version: 'v1', from: new Date(T0).toISOString(), to: new Date(T0 + 3_600_000).toISOString() };
    expect((await call('POST', `/drift/models/${MODEL}/reference`, { body })).status).toBe(401);
    const bad = await call('POST', `/drift/models/${MODEL}/reference`, { token: ADMIN, body: { ...body, to: body.from } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'DL_VALIDATION', message: '/to: must be an ISO-8601 time after from' });
    const empty = await call('POST', `/drift/models/${MODEL}/reference`, { token: ADMIN, body: { ...body, from: '2020-01-01T00:00:00Z', to: '2020-01-02T00:00:00Z' } });
    expect(empty.status).toBe(400);
    const ok = await call('POST', `/drift/models/${MODEL}/reference`, { token: ADMIN, body });
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ numeric: 2, categorical: 1, score: false });
  });

  it('lists the model with its policy and serves its window reports', async () => {
    const models = (await (await call('GET', '/drift/models')).json()) as { models: { model: string; features: { numeric: string[] }; policy: { windowMs: number } }[] };
    expect(models.models).toEqual([expect.objectContaining({ model: MODEL, features: { numeric: ['x', 'y'], categorical: ['day'] }, policy: expect.objectContaining({ windowMs: 600_000 }) })]);
    await drift.tick();
    const res = await call('GET', `/drift/models/${MODEL}/reports?limit=10`);
    expect(res.status).toBe(200);
    const { reports } = (await res.json()) as { reports: { window_rows: number; features: { feature: string; test: string; drifted: boolean; decisive: boolean }[] }[] };
    expect(reports).toHaveLength(5); // six 10-minute windows; the last waits for a later event
    for (const r of reports) {
      expect(r.window_rows).toBe(600);
      expect(r.features.find((f) => f.feature === 'x' && f.decisive)).toMatchObject({ test: 'ks', drifted: true }); // 600 values: the small-window test
    }
    const metrics = await (await call('GET', '/metrics')).text();
    expect(metrics).toMatch(/driftloop_drift_feature_drifted\{model="elec",feature="x",variant=""\} 1/);
    expect(metrics).toMatch(/driftloop_drift_statistic\{model="elec",feature="x",variant="",test="wasserstein"\} \d/);
    expect(metrics).toMatch(/driftloop_drift_window_rows\{model="elec"\} 600/);
  });

  it('answers 404 for an unknown model and 400 for a bad name or limit', async () => {
    expect((await call('GET', '/drift/models/nope/reports')).status).toBe(404);
    expect((await call('GET', '/drift/models/bad%20name/reports')).status).toBe(400);
    expect((await call('GET', `/drift/models/${MODEL}/reports?limit=0`)).status).toBe(400);
  });

  it('opens a manual retrain for the admin and an alert-driven one through the hook token', async () => {
    expect((await call('POST', `/drift/models/${MODEL}/retrain`, { body: { reason: 'x' } })).status).toBe(401);
    const manual = await call('POST', `/drift/models/${MODEL}/retrain`, { token: ADMIN, body: { reason: 'new data source' } });
    expect(manual.status).toBe(202);
    const { run_id: runId } = (await manual.json()) as { run_id: string };
    const alert = { version: '4', groupKey: 'g', truncatedAlerts: 0, status: 'firing', receiver: 'driftloop', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: '', alerts: [{ status: 'firing', labels: { alertname: 'Drift', model: MODEL }, annotations: {}, startsAt: '2026-04-01T00:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'f1' }] };
    expect((await call('POST', '/hooks/alertmanager', { token: ADMIN, body: alert })).status).toBe(401);
    const hooked = await call('POST', '/hooks/alertmanager', { token: HOOK, body: alert });
    expect(hooked.status).toBe(202);
    expect(await hooked.json()).toEqual({ results: [{ model: MODEL, fingerprint: 'f1', status: 'joined', run_id: runId }] });
    const unknown = await call('POST', '/hooks/alertmanager', { token: HOOK, body: { ...alert, alerts: [{ ...alert.alerts[0], labels: { alertname: 'Drift', model: 'ghost' } }] } });
    expect(unknown.status).toBe(409);
    expect(((await unknown.json()) as { message: string }).message).toContain('model "ghost" has no feature events in ClickHouse and no reference profile');
    expect((await call('POST', '/drift/models/ghost/retrain', { token: ADMIN, body: { reason: 'x' } })).status).toBe(409);
  });

  it('is CLI commands: drift, reports, reference and retrain', async () => {
    const cli = (args: string[], env: Record<string, string> = {}) => runCli(runtime.url, args, env);
    expect((await cli(['drift'])).out).toMatch(/^elec\s+v1\s+prof-\w+\s+2026-04-01T01:00:00Z\s+2 numeric, 1 categorical\s+10m\s+on$/m);
    // Times as people read them, not epoch milliseconds; the drifted features named.
    const reports = await cli(['reports', MODEL, '--limit', '2']);
    expect(reports.out).toMatch(/^WINDOW START\s+WINDOW END\s+EVENTS\s+DECISION\s+SHARE\s+DRIFTED\s+RUN$/m);
    expect(reports.out.trim().split('\n')).toHaveLength(3);
    // x of x, y and day drifted: a share of 1/3, under the default 0.5.
    expect(reports.out).toMatch(/^2026-04-01T01:40:00Z\s+2026-04-01T01:50:00Z\s+600\s+none\s+0\.33\s+x$/m);
    // The same windows for scripts: JSON (--json or -o json) and YAML carry the same reports; a bad format is a usage error.
    const asJson = JSON.parse((await cli(['reports', MODEL, '--limit', '2', '-o', 'json'])).out) as { window_end: number }[];
    expect(JSON.parse((await cli(['reports', MODEL, '--limit', '2', '--json'])).out)).toEqual(asJson);
    expect(asJson).toHaveLength(2);
    expect(parseYaml((await cli(['reports', MODEL, '--limit', '2', '-o', 'yaml'])).out)).toEqual(asJson);
    expect(await cli(['reports', MODEL, '-o', 'xml'])).toMatchObject({ code: 2, out: expect.stringMatching(/-o\/--output must be one of table, json, yaml; got "xml"/) });
    expect(await cli(['reports', MODEL, '--limit', '0'])).toMatchObject({ code: 2, out: expect.stringMatching(/--limit must be an integer from 1 to 1000; got "0"/) });
    // Exit codes: 3 not found, 4 nothing answering at the URL.
    expect(await cli(['reports', 'nope'])).toMatchObject({ code: 3, out: expect.stringMatching(/GET \/drift\/models\/nope\/reports\?limit=20: 404 /) });
    expect(await runCli('http://127.0.0.1:1', ['drift'])).toMatchObject({ code: 4, out: expect.stringMatching(/cannot reach driftloop at http:\/\/127\.0\.0\.1:1 .*is it running\?/) });
    expect(await cli(['retrain', MODEL])).toMatchObject({ code: 2, out: expect.stringMatching(/config DRIFTLOOP_ADMIN_TOKEN: retrain is an admin endpoint/) });
    // The manual run of the test before is still open (no trainer here): this one joins it.
    expect(await cli(['retrain', MODEL, '--reason', 'from the cli'], { DRIFTLOOP_ADMIN_TOKEN: ADMIN })).toMatchObject({ code: 0, out: expect.stringMatching(/^model elec: run run-\w+ joined \(a run of the model is still open: this one\)\n$/) });
    const reference = await cli(['reference', MODEL, '--version', 'v2', '--from', new Date(T0 + 3_600_000).toISOString(), '--to', new Date(T0 + 7_200_000).toISOString()], { DRIFTLOOP_ADMIN_TOKEN: ADMIN });
    expect(reference).toMatchObject({ code: 0, out: expect.stringMatching(/^model elec version v2: reference prof-\w+ from 2026-04-01T01:00:00.000Z to 2026-04-01T02:00:00.000Z, 2 numeric and 1 categorical features\n$/) });
    expect((await cli(['reference', MODEL, '--version', 'v2'])).code).toBe(2);
    // status lists a model the monitor watches even with no registry here, with its last window.
    expect((await cli(['status'])).out).toMatch(/^elec\s+-\s+-\s+-\s+none \(window to 2026-04-01T01:50:00Z\)$/m);
  });
});
