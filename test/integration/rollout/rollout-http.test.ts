import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import { createHttpServer, createMetricsRegistry, silentLogger, type HttpServer } from '../../../services/common/index.js';
import { getAlias, type Registry } from '../../../services/registry/index.js';
import { registerRolloutRoutes, type RolloutController, type RolloutRecord } from '../../../services/rollout/index.js';
import { readTopicEvents, startTestRuntime } from '../../support/runtime.js';
import { fakeClock, rolloutOf, runStep, seedVersion, testController, testRegistry, type FakeClock } from './rollout-support.js';

const T0 = Date.UTC(2026, 10, 1);
const ADMIN = 'rollout-admin-token';
const MODEL = 'web';
let runtime: Runtime;
let clock: FakeClock;
let registry: Registry;
let controller: RolloutController;
let http: HttpServer;

async function call(method: 'GET' | 'POST', url: string, body?: object, token = ADMIN): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await http.app.inject({ method, url, headers: token ? { authorization: `Bearer ${token}` } : {}, ...(body ? { payload: body } : {}) });
  return { status: res.statusCode, json: res.json() as Record<string, unknown> };
}
const op = async (name: string, body: object = {}): Promise<RolloutRecord> => {
  const res = await call('POST', `/rollout/models/${MODEL}/${name}`, body);
  expect(res.status, JSON.stringify(res.json)).toBe(200);
  return res.json.rollout as RolloutRecord;
};
const alias = async (name: string) => (await getAlias(runtime.clickhouse, MODEL, name))?.version;

beforeAll(async () => {
  runtime = await startTestRuntime();
  clock = fakeClock(T0);
  registry = await testRegistry(runtime, clock);
  controller = testController(runtime, registry, clock, { plan: { steps: [0.5, 1], shadowDurationMs: 60_000, analysisIntervalMs: 60_000, maxStepExtensions: 2 } });
  await controller.start();
  http = createHttpServer({ logger: silentLogger(), registry: createMetricsRegistry({ processMetrics: false }) });
  await registerRolloutRoutes(http.app, { rollout: () => controller, adminToken: ADMIN });
  await http.app.ready();
  await seedVersion(registry, MODEL, 'run-w1');
  await rolloutOf(runtime, MODEL, '1', 'promoted');
}, 60_000);

afterAll(async () => {
  await http?.close();
  await controller?.stop();
  await runtime?.close();
});

describe('rollout HTTP API', () => {
  it('pauses (no analysis while paused), resumes with the step started over, and promotes on demand', async () => {
    clock.advance(1000);
    await seedVersion(registry, MODEL, 'run-w2');
    await rolloutOf(runtime, MODEL, '2', 'running');
    expect((await call('POST', `/rollout/models/${MODEL}/pause`, {}, '')).status).toBe(401);
    expect((await call('POST', `/rollout/models/${MODEL}/pause`, {}, 'wrong')).status).toBe(401);

    const shown = await call('GET', `/rollout/models/${MODEL}`);
    expect(shown.status).toBe(200);
    expect(shown.json).toMatchObject({ rollout: { version: '2', state: 'running', phase: 'shadow', weight: 0 }, next_analysis_at: new Date(clock.t + 60_000).toISOString() });

    expect(await op('pause', { reason: 'investigating latency' })).toMatchObject({ state: 'paused', phase: 'shadow', reason: 'paused by api: investigating latency' });
    clock.advance(120_000);
    await controller.tick();
    expect((await call('GET', `/rollout/models/${MODEL}`)).json).toMatchObject({ rollout: { state: 'paused', step: 0 }, next_analysis_at: null });
    const again = await call('POST', `/rollout/models/${MODEL}/pause`, {});
    expect(again).toMatchObject({ status: 409, json: { error: 'DL_CONFLICT' } });

    const resumed = await op('resume', { actor: 'alice' });
    expect(resumed).toMatchObject({ state: 'running', step: 0, stepStartedAt: clock.t, reason: 'resumed by alice: shadow step 0 starts over' });

    expect(await op('promote', { reason: 'hotfix', actor: 'bob' })).toMatchObject({ state: 'promoted', phase: 'done', weight: 0, reason: 'promoted by bob: hotfix' });
    expect([await alias('champion'), await alias('previous-champion')]).toEqual(['2', '1']);
    const states = (await readTopicEvents(runtime, 'rollout-events', (e) => e.version === '2')).map((x) => `${x.event.phase}/${x.event.state}`);
    expect(states).toEqual(['shadow/started', 'paused/paused', 'shadow/resumed', 'promoted/promoted']);
  });

  it('holds a rollout with the manual gate in awaiting_approval after its last step until an operator approves', async () => {
    clock.advance(1000);
    await seedVersion(registry, MODEL, 'run-w3');
    let r = await rolloutOf(runtime, MODEL, '3', 'running');
    expect((await call('POST', `/rollout/models/${MODEL}/gate`, { required: 'yes' })).status).toBe(400);
    await op('gate', { required: true });
    r = await runStep(runtime, controller, clock, r); // shadow
    r = await runStep(runtime, controller, clock, r); // 50%
    r = await runStep(runtime, controller, clock, r); // 100%
    expect(r).toMatchObject({ state: 'awaiting_approval', phase: 'canary', step: 2, weight: 1 });
    expect(r.reason).toMatch(/all steps passed, awaiting approval$/);
    expect(await alias('champion')).toBe('2');
    expect((await call('POST', `/rollout/models/${MODEL}/pause`, {})).status).toBe(409);

    expect(await op('approve', { actor: 'carol', reason: 'reviewed the canary' })).toMatchObject({ state: 'promoted', reason: 'approved by carol: reviewed the canary' });
    expect([await alias('champion'), await alias('previous-champion')]).toEqual(['3', '2']);
    // The wait is an event of its own, so a consumer of rollout-events knows the rollout needs a person, not that it went on.
    const states = (await readTopicEvents(runtime, 'rollout-events', (e) => e.version === '3')).map((x) => `${x.event.phase}/${x.event.state}`);
    expect(states.slice(-2)).toEqual(['canary/awaiting_approval', 'promoted/promoted']);
  });

  it('rolls back an active rollout with a reason, then the champion itself to previous-champion', async () => {
    clock.advance(1000);
    await seedVersion(registry, MODEL, 'run-w4');
    await rolloutOf(runtime, MODEL, '4', 'running');
    expect(await call('POST', `/rollout/models/${MODEL}/rollback`, {})).toMatchObject({ status: 400, json: { error: 'DL_VALIDATION' } });
    expect(await op('rollback', { reason: 'bad user feedback' })).toMatchObject({ version: '4', state: 'rolled_back', weight: 0, reason: 'rolled back by api: bad user feedback' });
    expect(await alias('champion')).toBe('3');

    // No rollout active: the rollback undoes the last promotion.
    expect(await op('rollback', { reason: 'regression found after promotion', actor: 'dave' })).toMatchObject({
      version: '3', state: 'rolled_back', reason: 'champion rolled back to version 2 by dave: regression found after promotion',
    });
    expect(await alias('champion')).toBe('2');
    expect((await call('POST', `/rollout/models/${MODEL}/rollback`, { reason: 'again' })).status).toBe(409);
    expect((await call('POST', `/rollout/models/${MODEL}/promote`, {})).status).toBe(404);
  });

  it('lists the history and refuses bad input with a reason', async () => {
    const { json } = await call('GET', `/rollout/rollouts?model=${MODEL}`);
    expect((json.rollouts as RolloutRecord[]).map((r) => [r.version, r.state])).toEqual([['4', 'rolled_back'], ['3', 'rolled_back'], ['2', 'promoted'], ['1', 'promoted']]);
    expect((await call('GET', '/rollout/models/nothing-here')).status).toBe(404);
    expect(await call('GET', '/rollout/rollouts?limit=0')).toMatchObject({ status: 400, json: { message: '/limit: must be an integer from 1 to 1000' } });
    expect((await call('POST', `/rollout/models/${MODEL}/pause`, { actor: 'no spaces allowed' })).status).toBe(400);
  });
});
