import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/index.js';
import { champion, currentRollout, firstChampion, MODEL, startStack, startTraffic, storedLiveEvents, type RolloutView, type Stack, type Traffic } from '../support/stack.js';

/**
 * The whole stack killed with SIGKILL in the middle of a canary and started
 * again on the same data: the rollout carries on from the step it was in (the
 * controller's state is in ClickHouse, the gateway re-reads its plan) and is
 * promoted, once, with the champion's history intact.
 */
describe('whole stack killed mid-canary', () => {
  let stack: Stack | undefined;
  let traffic: Traffic | undefined;
  afterAll(async () => {
    await traffic?.stop();
    await stack?.close();
  });

  it('restarts and completes the same rollout', { timeout: 480_000 }, async () => {
    stack = await startStack('e2e-crash', { ROLLOUT_ANALYSIS_INTERVAL_MS: '6000' });
    const s = stack;
    await firstChampion(s, s.elec2.slice(20_000, 26_000));
    traffic = startTraffic(s, { from: 26_000 });
    const t = traffic;
    await waitFor(() => t.sent >= 1000, { message: 'live traffic', timeoutMs: 60_000 });
    await s.request('run-second', 'second');

    const killedIn = await waitFor(async () => {
      const r = await currentRollout(s);
      if (r?.version === '2' && r.state !== 'running') throw new Error(`version 2 ${r.state} before the kill: ${r.reason}`);
      return r?.version === '2' && r.phase === 'canary' && (t.variants.get('canary') ?? 0) > 0 ? r : undefined;
    }, { message: 'version 2 in its canary', timeoutMs: 240_000, intervalMs: 200, onTimeout: () => s.logTail(/"service":"(trainer|evaluator|registry|rollout)"/) });

    // No goodbye: no shutdown hook runs, nothing is flushed.
    const killedAt = Date.now();
    await s.kill('SIGKILL');
    const answeredBeforeKill = new Set(t.answered);
    const canaryBefore = t.variants.get('canary') ?? 0;
    await s.restart();
    const restartedIn = Date.now() - killedAt;
    // Until it is ready the new process answers 503s (services still starting); from then on, nothing but 200s.
    const failuresBefore = t.failures;

    // The same rollout, no earlier than where it was, not a new one from the shadow phase.
    const resumed = (await currentRollout(s))!;
    expect(resumed).toMatchObject({ rolloutId: killedIn.rolloutId, version: '2', state: 'running', phase: 'canary' });
    expect(resumed.step).toBeGreaterThanOrEqual(killedIn.step);

    let last: RolloutView | undefined;
    await waitFor(async () => {
      last = await currentRollout(s);
      if (last?.state === 'rolled_back') throw new Error(`version 2 was rolled back after the restart: ${last.reason}`);
      return last?.state === 'promoted' && (await champion(s)) === '2';
    }, { message: 'version 2 promoted after the restart', timeoutMs: 240_000, intervalMs: 500, onTimeout: () => `${JSON.stringify(last)}\n${s.logTail(/"service":"rollout"/)}` });
    await t.stop();

    expect(last!.rolloutId).toBe(killedIn.rolloutId);
    // The gateway routed to the canary again after the restart, from the plan it re-read.
    expect(t.variants.get('canary') ?? 0).toBeGreaterThan(canaryBefore);
    // Once ready again, the gateway answered everything.
    expect(t.failures - failuresBefore).toBe(0);
    expect(t.refused).toBeGreaterThan(0);

    const { rollouts } = await s.get<{ rollouts: { version: string; state: string }[] }>(`/rollout/rollouts?model=${MODEL}`);
    expect(rollouts.map((r) => [r.version, r.state])).toEqual([['2', 'promoted'], ['1', 'promoted']]);
    const { history: moves } = await s.get<{ history: { alias: string; version: string }[] }>(`/registry/models/${MODEL}/aliases/history`);
    expect(moves.filter((m) => m.alias === 'champion').map((m) => m.version)).toEqual(['1', '2']);
    expect(moves.find((m) => m.alias === 'previous-champion')?.version).toBe('1');
    // Each version was registered once although the control topics were read again after the restart.
    const { versions } = await s.get<{ versions: { version: string }[] }>(`/registry/models/${MODEL}`);
    expect(versions.map((v) => v.version).sort()).toEqual(['1', '2']);
    expect(s.cli(['status'])).toMatch(/^elec2\s+2\s+last: v2 promoted\s+-\s+((none|watch|retrain) \(window to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)|no window decided yet)$/m);
    expect(s.cli(['rollout', MODEL])).toMatch(/^model elec2 version 2 \(champion 1\): promoted, done step 3\/3, weight 0%/);
    console.log(`killed in canary step ${killedIn.step} (weight ${killedIn.weight}); back in ${restartedIn} ms, resumed at step ${resumed.step}`);

    // What the gateway answered but had not yet handed to Kafka when it was killed is gone (its emit buffer lives in memory);
    // everything answered after the restart, and every label (the test produced those), is stored once.
    const answered = [...t.answered];
    await waitFor(async () => (await s.stored('features')) >= answered.length - answeredBeforeKill.size, { message: 'the traffic after the restart stored', timeoutMs: 60_000 });
    expect(await s.kill('SIGTERM')).toBe(0);
    const stored = await storedLiveEvents(s);
    expect(stored.labels).toEqual(answered.sort());
    const lostFrom = (ids: string[]): string[] => {
      const have = new Set(ids);
      expect(have.size).toBe(ids.length);
      return answered.filter((id) => !have.has(id));
    };
    const lost = { features: lostFrom(stored.features), served: lostFrom(stored.served) };
    expect([...lost.features, ...lost.served].filter((id) => !answeredBeforeKill.has(id))).toEqual([]);
    console.log(`lost to the SIGKILL: ${lost.features.length} features and ${lost.served.length} predictions of ${answeredBeforeKill.size} answered before it (the gateway's unsent emit buffer)`);
  });
});
