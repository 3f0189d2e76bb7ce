import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import { getAlias } from '../../../services/registry/index.js';
import { getRollout, type RolloutController } from '../../../services/rollout/index.js';
import { nextRevision, saveRollout } from '../../../services/rollout/store.js';
import { uniqueName, waitFor } from '../../support/index.js';
import { readTopicEvents, startTestRuntime } from '../../support/runtime.js';
import { INTERVAL_MS, fakeClock, rolloutOf, runStep, seedVersion, serve, testController, testRegistry } from './rollout-support.js';

const T0 = Date.UTC(2026, 9, 1);
let runtime: Runtime;
const controllers: RolloutController[] = [];

beforeAll(async () => {
  runtime = await startTestRuntime();
}, 60_000);

afterAll(async () => {
  for (const c of controllers) await c.stop();
  await runtime?.close();
});

describe('rollout controller restart', () => {
  it('resumes a rollout stopped mid-canary at the same step and step start, and analyses at the deadline the first one would have', async () => {
    const clock = fakeClock(T0);
    const registry = await testRegistry(runtime, clock);
    const first = testController(runtime, registry, clock);
    controllers.push(first);
    await first.start();
    await seedVersion(registry, 'elec2', 'run-1');
    await rolloutOf(runtime, 'elec2', '1', 'promoted');
    await seedVersion(registry, 'elec2', 'run-2');
    let r = await rolloutOf(runtime, 'elec2', '2');
    r = await runStep(runtime, first, clock, r); // shadow passed
    r = await runStep(runtime, first, clock, r); // 1% passed
    expect(r).toMatchObject({ phase: 'canary', step: 2, weight: 0.1, state: 'running' });
    const stepStart = r.stepStartedAt;

    // Half the step's traffic, then the controller goes away without finishing the step.
    await serve(runtime, 'elec2', { from: stepStart, to: stepStart + INTERVAL_MS / 2, championVersion: '1', candidateVersion: '2', variant: 'canary', requests: 200 });
    clock.t = stepStart + INTERVAL_MS / 2;
    await first.tick();
    await first.stop();
    expect(await getRollout(runtime.clickhouse, r.rolloutId)).toEqual(r);

    // Traffic went on at 10% while no controller ran, past the step's deadline.
    await serve(runtime, 'elec2', { from: stepStart + INTERVAL_MS / 2, to: stepStart + INTERVAL_MS, championVersion: '1', candidateVersion: '2', variant: 'canary', requests: 200 });
    clock.t = stepStart + INTERVAL_MS + 25_000;

    // A new consumer group: the second controller also replays every registry event from the start.
    const replayGroup = uniqueName('rollout');
    const second = testController(runtime, registry, clock, { groupId: replayGroup });
    controllers.push(second);
    await second.start();
    const status = (await second.status('elec2'))!;
    expect(status.rollout).toMatchObject({ step: 2, weight: 0.1, state: 'running', stepStartedAt: stepStart });
    expect(status.nextAnalysisAt).toBe(stepStart + INTERVAL_MS);

    await second.tick();
    const after = (await getRollout(runtime.clickhouse, r.rolloutId))!;
    expect(after).toMatchObject({ step: 3, weight: 0.5, state: 'running', stepStartedAt: clock.t });
    const events = (await readTopicEvents(runtime, 'rollout-events', (e) => e.model === 'elec2')).map((x) => x.event);
    const step2 = events.filter((e) => e.step === 2);
    // Step 2 started once and passed once, as of its deadline; no step was restarted or skipped.
    expect(step2.map((e) => `${e.state}@${e.ts}`)).toEqual([`started@${stepStart}`, `passed@${stepStart + INTERVAL_MS}`]);
    expect(events.map((e) => `${e.phase}/${e.state}/${e.step}`)).toEqual([
      'promoted/promoted/0', 'shadow/started/0', 'shadow/passed/0', 'canary/started/1', 'canary/passed/1', 'canary/started/2', 'canary/passed/2', 'canary/started/3',
    ]);
    // The replayed approvals start nothing new.
    const topic = `${runtime.config.topicPrefix}registry-events`;
    const end = (await runtime.bus.topicOffsets(topic)).reduce((n, p) => n + p.high, 0);
    await waitFor(async () => (await runtime.bus.committedOffsets(replayGroup, topic)).reduce((n, p) => n + p.offset, 0) >= end, { message: 'registry events replayed' });
    expect((await second.history({ model: 'elec2' })).map((x) => [x.version, x.state])).toEqual([['2', 'running'], ['1', 'promoted']]);

    r = await runStep(runtime, second, clock, after);
    r = await runStep(runtime, second, clock, r);
    expect(r.state).toBe('promoted');
    expect((await getAlias(runtime.clickhouse, 'elec2', 'champion'))?.version).toBe('2');
  });

  it('publishes at start an event a crash left stored but unpublished, once, with its own id', async () => {
    const clock = fakeClock(T0 + 86_400_000);
    const registry = await testRegistry(runtime, clock);
    const first = testController(runtime, registry, clock);
    controllers.push(first);
    await first.start();
    await seedVersion(registry, 'outbox', 'run-1');
    await rolloutOf(runtime, 'outbox', '1', 'promoted');
    await seedVersion(registry, 'outbox', 'run-2');
    const r = await rolloutOf(runtime, 'outbox', '2');
    await first.stop();

    // What the controller stores before it publishes, then the process dies before the send.
    clock.advance(1000);
    const paused = { ...r, state: 'paused' as const, reason: 'paused by dave: crash test', revision: nextRevision(r.revision, clock.t), updatedAt: clock.t };
    await saveRollout(runtime.clickhouse, paused, ['paused', 'paused']);
    const eventsOf = async (): Promise<string[]> =>
      (await readTopicEvents(runtime, 'rollout-events', (e) => e.model === 'outbox' && e.version === '2')).map((x) => `${x.event.event_id} ${x.event.phase}/${x.event.state}`);
    expect(await eventsOf()).toEqual([`${r.rolloutId}#${r.revision} shadow/started`]);

    for (const group of [uniqueName('rollout'), uniqueName('rollout')]) {
      const next = testController(runtime, registry, clock, { groupId: group });
      controllers.push(next);
      await next.start();
      await next.stop();
    }
    // Published by the first controller that started, not again by the second.
    expect(await eventsOf()).toEqual([`${r.rolloutId}#${r.revision} shadow/started`, `${r.rolloutId}#${paused.revision} paused/paused`]);
  });
});
