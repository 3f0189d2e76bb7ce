import { afterAll, describe, expect, it } from 'vitest';
import type { DriftModel } from '../../services/cli/demo/loop.js';
import { VICTORIA_JOINS_INDEX } from '../../services/cli/demo/settings.js';
import type { Timeline } from '../../services/cli/demo/timeline.js';
import { waitFor } from '../support/index.js';
import { champion, firstChampion, MODEL, startStack, startTraffic, storedLiveEvents, type Stack, type Traffic } from '../support/stack.js';

/** Two weeks of half-hours: a drift window; a request carries half a day. */
const WINDOW = 14 * 48;
const REQUEST = 24;

/**
 * The whole loop, every service in one `driftloop up` process, nothing done
 * by hand after the first model: Elec2 replayed through the gateway crosses
 * May 1997, when the Victorian columns (constant before) start to carry data;
 * the drift monitor sees it in two windows in a row and asks for a retrain,
 * which is trained, evaluated, registered, shadowed, canaried and promoted.
 * Then the chain is read back link by link, from the control topics and the
 * HTTP APIs, and every event the gateway answered is checked in ClickHouse.
 */
describe('whole loop: injected drift to promotion', () => {
  let stack: Stack | undefined;
  let traffic: Traffic | undefined;
  let timeline: Timeline | undefined;
  afterAll(async () => {
    await traffic?.stop();
    await timeline?.close();
    await stack?.close();
  });

  it('retrains on drift by itself and promotes, with lineage linked end to end and no event lost', { timeout: 480_000 }, async () => {
    stack = await startStack('e2e-loop', {
      // Count windows of gateway events, each exactly two weeks of Elec2 (every weekday as often as in the reference).
      DRIFT_WINDOW_ROWS: String(WINDOW), DRIFT_LATENESS_MS: '1000', DRIFT_POLL_INTERVAL_MS: '500', DRIFT_CONSECUTIVE_WINDOWS: '2',
      TRAINER_SPEC: JSON.stringify({ algorithm: 'mlp', max_trials: '2', 'param.epochs': '5', window_rows: '2000', sampler: 'random' }),
      // A retrain after drift exists because the champion went wrong: agreeing with it or scoring like it is no measure of the candidate.
      ROLLOUT_MIN_AGREEMENT: '0', ROLLOUT_MAX_PREDICTION_PSI: '100',
    });
    const s = stack;
    timeline = await s.follow();
    const events = timeline.events;

    // Six windows of history before the replay, which starts two windows before Victoria joins.
    const replayFrom = VICTORIA_JOINS_INDEX - 2 * WINDOW;
    const history = s.elec2.slice(replayFrom - 6 * WINDOW, replayFrom);
    await firstChampion(s, history);
    // The monitor builds the champion's reference by itself, from the window it was trained on.
    const referenceOf = async (version: string): Promise<DriftModel | undefined> =>
      (await s.get<{ models: DriftModel[] }>('/drift/models')).models.find((m) => m.model === MODEL && m.model_version === version);
    const reference = await waitFor(() => referenceOf('1'), { message: 'the drift reference of version 1', timeoutMs: 60_000, intervalMs: 250 });

    traffic = startTraffic(s, { from: replayFrom, span: 20_000, batch: REQUEST });
    const t = traffic;
    await waitFor(async () => {
      const rejected = events.evaluations.find((e) => e.candidate_version !== '1' && e.decision !== 'register');
      if (rejected) throw new Error(`the retrained candidate was rejected: ${rejected.reason}`);
      const rolledBack = events['rollout-events'].find((e) => e.version === '2' && e.state === 'rolled_back');
      if (rolledBack) throw new Error(`version 2 was rolled back: ${rolledBack.reason}`);
      return (await champion(s)) === '2';
    }, {
      message: 'version 2 promoted', timeoutMs: 360_000, intervalMs: 500,
      onTimeout: () => `answered ${t.sent}, reports ${events['drift-reports'].map((r) => r.decision).join(',')}\n${s.logTail(/"service":"(drift|trainer|evaluator|registry|rollout)"/)}`,
    });
    await t.stop();
    expect(t.failures).toBe(0);
    // The alias moves before the controller publishes its last event: wait for the topics to carry the end of the story.
    await waitFor(() => events['rollout-events'].some((e) => e.version === '2' && e.state === 'promoted') && events['registry-events'].some((e) => e.action === 'alias_set' && e.version === '2'), {
      message: 'the promotion on the control topics', timeoutMs: 30_000,
    });

    // Link by link, as the control topics carried them. The retrain was asked for by the drift monitor...
    const request = events['retrain-requests'].find((r) => r.cause.kind === 'drift');
    expect(request, JSON.stringify(events['retrain-requests'])).toBeDefined();
    const runId = request!.run_id;
    expect(request!.requested_by).toMatch(/drift/);
    // ...because of a window after Victoria joined, drifted on the Victorian columns, the second such window in a row.
    const reports = events['drift-reports'].filter((r) => r.profile_id === reference.profile_id);
    const report = reports.find((r) => r.event_id === request!.cause.ref);
    expect(report, `cause ${request!.cause.ref} among ${reports.map((r) => r.event_id).join(', ')}`).toMatchObject({ decision: 'retrain', run_id: runId });
    expect(report!.features.filter((f) => f.drifted).map((f) => f.feature)).toEqual(expect.arrayContaining(['vicprice']));
    const index = reports.indexOf(report!);
    expect(reports.slice(0, 2).map((r) => r.decision)).not.toContain('retrain');
    expect(reports[index - 1]?.dataset_drift).toBe(true);
    // The run trained and finished...
    const result = events['training-results'].find((r) => r.run_id === runId && r.state === 'done');
    expect(result, JSON.stringify(events['training-results'])).toBeDefined();
    // ...its candidate was evaluated against the champion and registered as version 2...
    const evaluation = events.evaluations.find((e) => e.run_id === runId);
    expect(evaluation).toMatchObject({ decision: 'register', champion_version: '1' });
    const registered = events['registry-events'].find((e) => e.run_id === runId && e.action === 'registered');
    expect(registered?.version).toBe('2');
    // ...rolled out step by step on live traffic...
    const rollout = events['rollout-events'].filter((e) => e.run_id === runId);
    expect(rollout[0]).toMatchObject({ phase: 'shadow', state: 'started' });
    expect([...new Set(rollout.filter((e) => e.phase === 'canary' && e.state === 'started').map((e) => e.weight))]).toEqual([0.2, 0.5, 1]);
    expect(rollout.at(-1)).toMatchObject({ state: 'promoted' });
    // ...and the champion alias moved from 1 to 2.
    expect(events['registry-events'].find((e) => e.action === 'alias_set' && e.alias === 'champion' && e.version === '2')).toMatchObject({ previous_version: '1' });

    // The same chain from the HTTP APIs: the version's lineage names each link.
    const version = await s.get<{ version: { lineage: Record<string, string>; runId: string; dataVersion: string } }>(`/registry/models/${MODEL}/versions/2`);
    expect(version.version.lineage).toMatchObject({ run_id: runId, cause_kind: 'drift', cause_ref: report!.event_id, evaluation_id: `eval-${runId}` });
    const run = await s.get<{ run: { state: string; dataVersion: string } }>(`/trainer/runs/${runId}`);
    expect(run.run.state).toBe('done');
    expect(version.version.lineage.data_version).toBe(run.run.dataVersion);
    // Windows from here on are compared with the new champion's own reference.
    const next = await waitFor(() => referenceOf('2'), { message: 'the drift reference of version 2', timeoutMs: 60_000, intervalMs: 250 });
    expect(next.profile_id).not.toBe(reference.profile_id);
    expect(s.cli(['status'])).toMatch(/^elec2\s+2\s+last: v2 promoted\s+-\s+((none|watch|retrain) \(window to \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)|no window decided yet)$/m);
    // Where producers connect (the run's shared broker here, so not the embedded one of this process).
    expect(s.cli(['status'])).toMatch(/^kafka: [\w.-]+:\d+(,[\w.-]+:\d+)*$/m);

    // No event lost: every instance the gateway answered is in ClickHouse once as features, once as a serving prediction, and its label too.
    const answered = t.answered.length;
    await waitFor(async () => (await s.stored('features')) >= history.length + answered && (await s.stored('labels')) >= history.length + answered, {
      message: 'every answered event stored', timeoutMs: 60_000, onTimeout: () => `answered ${answered}`,
    });
    expect(await s.kill('SIGTERM')).toBe(0);
    // Once each, by id: no event lost, none stored twice.
    const expected = [...t.answered].sort();
    const stored = await storedLiveEvents(s);
    expect(stored.features).toEqual(expected);
    expect(stored.served).toEqual(expected);
    expect(stored.labels).toEqual(expected);
  });
});
