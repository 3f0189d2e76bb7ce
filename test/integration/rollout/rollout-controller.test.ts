import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import { createMetricsRegistry, silentLogger } from '../../../services/common/index.js';
import { verifyDriftloopSignature } from '../../../services/drift/index.js';
import { aliasHistory, getAlias, getVersion, type Registry } from '../../../services/registry/index.js';
import { createWebhookSender, getRollout, listRollouts, rolloutIdOf, type RolloutController } from '../../../services/rollout/index.js';
import { waitFor } from '../../support/index.js';
import { readTopicEvents, startTestRuntime } from '../../support/runtime.js';
import { fakeClock, rolloutOf, runStep, seedVersion, testController, testRegistry, type FakeClock } from './rollout-support.js';

const T0 = Date.UTC(2026, 8, 1);
let runtime: Runtime;
let clock: FakeClock;
let registry: Registry;
let controller: RolloutController;
let receiver: Server;
/** What the outbound webhook received. */
const posted: { headers: IncomingHttpHeaders; body: string }[] = [];

const events = async (model: string) => (await readTopicEvents(runtime, 'rollout-events', (e) => e.model === model)).map((r) => r.event);
const champion = async (model: string) => (await getAlias(runtime.clickhouse, model, 'champion'))?.version;

beforeAll(async () => {
  runtime = await startTestRuntime();
  clock = fakeClock(T0);
  registry = await testRegistry(runtime, clock);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      posted.push({ headers: req.headers, body });
      res.end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const webhooks = createWebhookSender({
    urls: [`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/rollouts`], hmacSecret: 'webhook-secret', logger: silentLogger(), registry: createMetricsRegistry({ processMetrics: false }),
  });
  controller = testController(runtime, registry, clock, {}, webhooks);
  await controller.start();
}, 60_000);

afterAll(async () => {
  await controller?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
  await runtime?.close();
});

describe('rollout controller', () => {
  it('promotes the first approved version at once when the model has no champion', async () => {
    const v1 = await seedVersion(registry, 'first', 'run-f1');
    const r = await rolloutOf(runtime, 'first', v1.version, 'promoted');
    expect(r).toMatchObject({ phase: 'done', weight: 0, reason: 'first approved version', championVersion: null, runId: 'run-f1' });
    expect(await champion('first')).toBe('1');
    const [move] = await aliasHistory(runtime.clickhouse, 'first', 'champion');
    expect(move).toMatchObject({ version: '1', previousVersion: null, actor: 'rollout', reason: 'first approved version' });
    const [event] = await events('first');
    expect(event).toMatchObject({ phase: 'promoted', state: 'promoted', version: '1', run_id: 'run-f1', cause: { kind: 'drift', ref: 'drift-run-f1' } });
    // The same event, signed, on the outbound webhook.
    const delivery = await waitFor(() => posted.find((p) => (JSON.parse(p.body) as { model: string }).model === 'first'), { message: 'webhook delivery' });
    expect(JSON.parse(delivery.body)).toEqual({ ...event, ts: Number(event!.ts) });
    expect(delivery.headers['idempotency-key']).toBe(event!.event_id);
    expect(verifyDriftloopSignature('webhook-secret', String(delivery.headers['x-driftloop-timestamp']), delivery.body, String(delivery.headers['x-driftloop-signature']))).toBe(true);
  });

  it('takes an equal candidate through shadow, 1%, 10%, 50% and 100% to promotion, keeping the old champion as previous-champion', async () => {
    const model = 'churn';
    await seedVersion(registry, model, 'run-c1');
    await rolloutOf(runtime, model, '1', 'promoted');
    const v2 = await seedVersion(registry, model, 'run-c2', { kind: 'drift', ref: 'drift-report-42', detail: 'nswprice drifted' });
    let r = await rolloutOf(runtime, model, v2.version);
    expect(r).toMatchObject({ state: 'running', phase: 'shadow', step: 0, weight: 0, championVersion: '1', steps: [0.01, 0.1, 0.5, 1], stepStartedAt: T0 });

    const path: [string, number, number][] = [[r.phase, r.step, r.weight]];
    while (r.state === 'running') {
      r = await runStep(runtime, controller, clock, r);
      path.push([r.phase, r.step, r.weight]);
    }
    expect(path).toEqual([['shadow', 0, 0], ['canary', 1, 0.01], ['canary', 2, 0.1], ['canary', 3, 0.5], ['canary', 4, 1], ['done', 4, 0]]);
    expect(r).toMatchObject({ state: 'promoted', reason: 'all steps passed', failedChecks: 0 });
    expect(r.checks.map((c) => [c.name, c.passed])).toEqual([['error_rate', true], ['p99_latency_ms', true], ['accuracy', true], ['prediction_psi', true]]);
    expect(await champion(model)).toBe('2');
    expect((await getAlias(runtime.clickhouse, model, 'previous-champion'))?.version).toBe('1');

    const published = await events(model);
    expect(published.map((e) => `${e.phase}/${e.state}/${e.step}/${e.weight}`)).toEqual([
      'promoted/promoted/0/0',
      'shadow/started/0/0', 'shadow/passed/0/0',
      'canary/started/1/0.01', 'canary/passed/1/0.01',
      'canary/started/2/0.1', 'canary/passed/2/0.1',
      'canary/started/3/0.5', 'canary/passed/3/0.5',
      'canary/started/4/1', 'canary/passed/4/1',
      'promoted/promoted/4/0',
    ]);
    const shadowPassed = published[2]!;
    expect((shadowPassed.checks as { name: string; value: number }[]).find((c) => c.name === 'agreement')).toMatchObject({ value: 1 });

    // Lineage: the promotion event names the run and cause; the registry version behind it leads back to the drift report.
    const promoted = published.at(-1)!;
    expect(promoted).toMatchObject({ version: '2', champion_version: '1', run_id: 'run-c2', cause: { kind: 'drift', ref: 'drift-report-42', detail: 'nswprice drifted' } });
    const version = (await getVersion(runtime.clickhouse, model, String(promoted.version)))!;
    expect(version.lineage).toMatchObject({ run_id: promoted.run_id, cause_kind: 'drift', cause_ref: 'drift-report-42', data_version: 'sha256:data-run-c2', evaluation_id: 'eval-run-c2' });
  });

  it('judges a step by the traffic served in it, whatever event time a caller replaying history stamped on it', async () => {
    const model = 'replayed';
    await seedVersion(registry, model, 'run-r1');
    await rolloutOf(runtime, model, '1', 'promoted');
    const v2 = await seedVersion(registry, model, 'run-r2');
    const shadow = await rolloutOf(runtime, model, v2.version);
    // Elec2's 1997, served now: the step's analysis counts it all.
    const r = await runStep(runtime, controller, clock, shadow, { replayedFrom: Date.UTC(1997, 3, 7) });
    expect(r).toMatchObject({ state: 'running', phase: 'canary', step: 1, failedChecks: 0 });
    expect(r.checks.find((c) => c.name === 'agreement')).toMatchObject({ passed: true, value: 1 });
  });

  it('rolls back a candidate whose error rate is three times the champion\'s within one analysis interval', async () => {
    const model = 'fraud';
    await seedVersion(registry, model, 'run-x1');
    await rolloutOf(runtime, model, '1', 'promoted');
    await seedVersion(registry, model, 'run-x2');
    const started = await rolloutOf(runtime, model, '2');
    const r = await runStep(runtime, controller, clock, started, { championErrorRate: 0.02, candidateErrorRate: 0.06 });
    expect(r).toMatchObject({ state: 'rolled_back', phase: 'done', weight: 0, step: 0, failedChecks: 1, updatedAt: started.stepStartedAt + 60_000 });
    expect(r.reason).toMatch(/^automatic rollback at shadow step 0, analysis 1: 1 failed check\(s\) > threshold 0: error_rate 0.06 > 0.03 \(candidate 24\/400, champion 8\/400/);
    expect(r.checks.find((c) => c.name === 'error_rate')).toMatchObject({ passed: false, value: 0.06, threshold: 0.03 });
    expect(await champion(model)).toBe('1');
    const last = (await events(model)).at(-1)!;
    expect(last).toMatchObject({ phase: 'rolled_back', state: 'rolled_back', weight: 0, version: '2' });
    expect(last.checks).toContainEqual({ name: 'error_rate', passed: false, value: 0.06, threshold: 0.03 });
  });

  it('extends a step that has too few samples instead of failing it, then rolls back when extensions run out', async () => {
    const model = 'thin';
    await seedVersion(registry, model, 'run-t1');
    await rolloutOf(runtime, model, '1', 'promoted');
    await seedVersion(registry, model, 'run-t2');
    let r = await rolloutOf(runtime, model, '2');
    const start = r.stepStartedAt;
    // Bad, but only 100 requests each, under the minimum of 200: not judged.
    r = await runStep(runtime, controller, clock, r, { requests: 100, candidateErrorRate: 0.5 });
    expect(r).toMatchObject({ state: 'running', step: 0, stepStartedAt: start, failedChecks: 0, updatedAt: start + 60_000 });
    expect(r.reason).toMatch(/not enough samples \(candidate 100, champion 100 requests \(min 200\)\), step extended \(1 of 2\)/);
    clock.t = start + 3 * 60_000;
    await controller.tick();
    r = (await getRollout(runtime.clickhouse, r.rolloutId))!;
    expect(r).toMatchObject({ state: 'rolled_back', weight: 0 });
    expect(r.reason).toMatch(/not enough samples after 2 extension\(s\)/);
  });

  it('supersedes a running rollout when a newer version is approved, and rolls back a candidate the registry rejects', async () => {
    const model = 'ads';
    await seedVersion(registry, model, 'run-a1');
    await rolloutOf(runtime, model, '1', 'promoted');
    await seedVersion(registry, model, 'run-a2');
    await rolloutOf(runtime, model, '2', 'running');
    clock.advance(1000);
    await seedVersion(registry, model, 'run-a3');
    const superseded = await rolloutOf(runtime, model, '2', 'rolled_back');
    expect(superseded.reason).toBe('superseded by version 3');
    expect(await rolloutOf(runtime, model, '3', 'running')).toMatchObject({ championVersion: '1', phase: 'shadow' });

    await registry.reject(model, '3', 'reviewer', 'bias found');
    const rejected = await rolloutOf(runtime, model, '3', 'rolled_back');
    expect(rejected.reason).toBe('version 3 was rejected in the registry by reviewer: bias found');
    expect(await champion(model)).toBe('1');
    expect((await listRollouts(runtime.clickhouse, { model })).map((x) => [x.rolloutId, x.state])).toEqual([
      [rolloutIdOf(model, '3'), 'rolled_back'], [rolloutIdOf(model, '2'), 'rolled_back'], [rolloutIdOf(model, '1'), 'promoted'],
    ]);
  });
});
