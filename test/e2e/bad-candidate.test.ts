import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../support/index.js';
import { champion, currentRollout, firstChampion, MODEL, startStack, startTraffic, type Stack, type Traffic } from '../support/stack.js';

/**
 * A bad candidate stopped by the rollout, across the whole stack in one
 * `driftloop up` process: its training window was poisoned (labels flipped,
 * as a broken labeling job would), so it looks excellent on its own test
 * split and passes the evaluation, but live traffic's true labels show it
 * wrong in the canary step. The controller rolls it back by itself, the
 * gateway stops routing to it, and the champion never moves.
 */
describe('bad candidate: rolled back end to end', () => {
  let stack: Stack | undefined;
  let traffic: Traffic | undefined;
  afterAll(async () => {
    await traffic?.stop();
    await stack?.close();
  });

  it('evaluated on its poisoned test split, registered, canaried on live traffic, rolled back on accuracy; the champion stays', { timeout: 420_000 }, async () => {
    stack = await startStack('e2e-bad', {
      // No newer labeled traffic exists when the candidate is evaluated, so its holdout is its own (poisoned) test split.
      EVAL_MIN_HOLDOUT_ROWS: '100', EVAL_MIN_IMPROVEMENT: '0', EVAL_MARGIN: '0.02',
      // Straight to the canary: the user-facing step, where the gateway routes real requests to the candidate.
      ROLLOUT_SHADOW_DURATION_MS: '0', ROLLOUT_STEPS: '0.2,0.5,1',
      ROLLOUT_MAX_ACCURACY_DROP: '0.1', ROLLOUT_MIN_AGREEMENT: '0', ROLLOUT_MAX_PREDICTION_PSI: '100',
    });
    const s = stack;
    const history = await firstChampion(s, s.elec2.slice(20_000, 26_000));
    expect(await champion(s)).toBe('1');

    // The next 2,000 half-hours, labels flipped, after the history: the second run's whole window.
    const poisoned = s.elec2.slice(26_000, 28_000);
    await s.produceLabeled(poisoned, (i) => history.to + i * 500, { idPrefix: 'p', label: (r) => (r.label === 'UP' ? 'DOWN' : 'UP') });
    await waitFor(async () => (await s.stored('labels')) >= 8000, { message: 'poisoned rows stored', timeoutMs: 60_000 });
    await s.request('run-bad', 'bad', { window_rows: '2000' });

    const registered = await waitFor(async () => {
      const res = await fetch(`${s.url}/registry/models/${MODEL}/versions/2`);
      return res.ok ? ((await res.json()) as { version: { lineage: Record<string, string> }; evaluation: { decision: string; holdout: string; candidateMetrics: Record<string, number>; championMetrics: Record<string, number> } }) : undefined;
    }, { message: 'version 2 registered', timeoutMs: 180_000, intervalMs: 500, onTimeout: () => s.logTail(/"service":"(trainer|evaluator|registry)"/) });
    expect(registered.version.lineage).toMatchObject({ run_id: 'run-bad', cause_ref: 'bad' });
    // Fooled, as offline evaluation on poisoned data is: the candidate fits the flipped labels, the champion does not.
    expect(registered.evaluation).toMatchObject({ decision: 'register' });
    expect(registered.evaluation.holdout).toMatch(/^test-split/);
    expect(registered.evaluation.candidateMetrics.accuracy).toBeGreaterThan(registered.evaluation.championMetrics.accuracy!);

    // Live traffic (later Elec2 rows) with true labels following each answer.
    traffic = startTraffic(s, { from: 28_000 });
    const t = traffic;
    const rolledBack = await waitFor(async () => {
      const r = await currentRollout(s);
      if (r?.version === '2' && r.state === 'promoted') throw new Error('the bad candidate was promoted');
      return r?.version === '2' && r.state === 'rolled_back' ? r : undefined;
    }, { message: 'version 2 rolled back', timeoutMs: 180_000, intervalMs: 500, onTimeout: () => `sent ${t.sent}, variants ${JSON.stringify([...t.variants])}\n${s.logTail(/"service":"rollout"/)}` });
    // Caught in the first canary step (step 0 is the shadow phase, skipped here), its weight back to 0.
    expect(rolledBack).toMatchObject({ phase: 'done', step: 1, weight: 0 });
    expect(rolledBack.reason).toMatch(/accuracy [\d.]+ < [\d.]+/);
    // Real requests reached the candidate before it was caught.
    expect(t.variants.get('canary') ?? 0).toBeGreaterThan(20);

    // The gateway routes every entity to the champion again once it re-reads the plan.
    const answeredBy = async (): Promise<Set<string>> => {
      const instances = Array.from({ length: 200 }, (_, k) => ({ entity_id: `user-${k}`, numeric: s.elec2[30_000 + k]!.numeric, categorical: { day: s.elec2[30_000 + k]!.day } }));
      const res = await fetch(`${s.url}/v1/models/${MODEL}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances }) });
      const { predictions } = (await res.json()) as { predictions: { variant: string; model_version: string }[] };
      return new Set(predictions.map((p) => `${p.variant} v${p.model_version}`));
    };
    const after = await waitFor(async () => {
      const seen = await answeredBy();
      return seen.size === 1 && seen.has('champion v1') ? seen : undefined;
    }, { message: 'every answer from the champion', timeoutMs: 10_000, intervalMs: 250 });
    expect([...after]).toEqual(['champion v1']);
    await t.stop();
    expect(t.failures).toBe(0);

    // The champion never moved; the rollout's story reads back over HTTP and the CLI.
    expect(await champion(s)).toBe('1');
    const { history: moves } = await s.get<{ history: { alias: string; version: string }[] }>(`/registry/models/${MODEL}/aliases/history`);
    expect(moves.filter((m) => m.alias === 'champion').map((m) => m.version)).toEqual(['1']);
    const { rollouts } = await s.get<{ rollouts: { version: string; state: string }[] }>(`/rollout/rollouts?model=${MODEL}`);
    expect(rollouts.map((r) => [r.version, r.state])).toEqual([['2', 'rolled_back'], ['1', 'promoted']]);
    expect(s.cli(['rollout', MODEL])).toMatch(/^model elec2 version 2 \(champion 1\): rolled_back/);

    expect(await s.kill('SIGTERM')).toBe(0);
  });
});
