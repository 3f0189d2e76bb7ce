import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry, fromDateTime64Text, silentLogger, type ClickHouse } from '../../../services/common/index.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import { createDriftMonitor, DEFAULT_POLICY, mergePolicy } from '../../../services/drift/index.js';
import { startTestRuntime } from '../../support/runtime.js';
import { backtestTrainer, DAY_MS, policyArm, releaseSettings, scheduleArms, WEEK_MS } from '../../../services/cli/backtest/defaults.js';
import { seaStream } from '../../../services/cli/backtest/streams/index.js';
import { runBacktest, type BacktestResult } from '../../../services/cli/backtest/run.js';
import { CLI_MAIN } from '../../support/process.js';
import { tempDir } from '../../support/index.js';

/** `driftloop backtest …` as a user runs it. */
function backtest(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI_MAIN, 'backtest', ...args], { timeout: 120_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

// Retrain when the champion's accuracy over a 3-day window falls 0.05 below its reference (the served day after its promotion).
const ACCURACY_POLICY = { windowMs: 3 * DAY_MS, cooldownMs: DAY_MS, driftShare: 1, predictionDrift: false, trainingWindowMs: 14 * DAY_MS };

describe('driftloop backtest', () => {
  let runtime: Runtime;
  let ch: ClickHouse;
  let dir: string;
  let result: BacktestResult;
  // SEA concepts (Street & Kim) with thresholds far apart, 8,000 half-hourly records: the concept changes abruptly at
  // records 2,000, 4,000 and 6,000, each time flipping a third of the labels.
  const stream = seaStream({ seed: 7, records: 8000, concepts: [6, 12, 6, 12] });
  const records = stream.records.map((r, i) => ({ ...r, eventId: `sea-${i}` }));
  const changePoints = stream.changePoints;
  const start = 1000;

  beforeAll(async () => {
    dir = await tempDir('driftloop-backtest-');
    runtime = await startTestRuntime();
    ch = runtime.clickhouse;
    result = await runBacktest({ clickhouse: ch, logger: silentLogger() }, {
      records, startIndex: start, initialRecords: 1000, labelDelayMs: 0,
      arms: [
        { kind: 'never', name: 'never' },
        ...scheduleArms(2 * WEEK_MS, [2]),
        policyArm('accuracy', ACCURACY_POLICY),
      ],
      // Two weeks of half-hourly records hold about 100 test rows.
      trainer: backtestTrainer(), ...releaseSettings({ EVAL_MIN_HOLDOUT_ROWS: '80' }), latenessMs: 0, servedMs: DAY_MS, changePoints, workDir: join(dir, 'work'),
    });
  }, 300_000);
  afterAll(async () => {
    await runtime?.close();
  });

  it('answers every replayed record once in every arm, before its label is known', () => {
    for (const arm of result.arms) expect(arm.records, arm.name).toBe(records.length - start);
    expect(result.first.trainedRows).toBeGreaterThan(600);
    expect(result.first.trainedRows).toBeLessThan(800);
  });

  it('retrains a schedule at every slot of event time and deploys each', () => {
    const schedule = result.arms.find((a) => a.kind === 'schedule')!;
    const span = records[records.length - 1]!.ts - records[start]!.ts;
    expect(schedule.retrains).toEqual({ requested: Math.floor(span / (2 * WEEK_MS)), promoted: Math.floor(span / (2 * WEEK_MS)), rejected: 0, rolledBack: 0, failed: 0 });
    expect(schedule.history.every((h, i) => h.at === records[start]!.ts + (i + 1) * 2 * WEEK_MS)).toBe(true);
  });

  it('asks for a retrain after each abrupt concept change, deploys only what passed the gates and the canary, and beats never retraining', () => {
    expect(changePoints).toEqual([2000, 4000, 6000]);
    const policy = result.arms.find((a) => a.kind === 'policy')!;
    const never = result.arms.find((a) => a.kind === 'never')!;
    // 3-day windows over 7,000 half-hourly records, each decided once; a promotion cuts the window it falls in.
    const windows = (records[records.length - 1]!.ts - records[start]!.ts) / (3 * DAY_MS);
    expect(policy.windows).toBeGreaterThanOrEqual(Math.floor(windows));
    expect(policy.windows).toBeLessThanOrEqual(Math.ceil(windows) + policy.retrains.promoted);
    for (const point of changePoints) {
      const at = records[point]!.ts;
      expect(policy.history.some((h) => h.at >= at && h.at - at <= 7 * DAY_MS), `a retrain requested within 7 days of the change at record ${point}`).toBe(true);
    }
    expect(policy.retrains.promoted).toBeGreaterThanOrEqual(1);
    // A promotion comes after its canary, on records answered after the request; a refusal says which gate or check.
    for (const h of policy.history) {
      if (h.outcome === 'promoted') expect(h.promotedAt!).toBeGreaterThan(h.at);
      else expect(h.detail).toMatch(/^(rejected: |canary rolled back: )/);
    }
    expect(policy.accuracy).toBeGreaterThan(never.accuracy);
    expect(never.changeDelaysMs).toEqual([null, null, null]);
  });

  it('decides every window and asks for every retrain as the live drift monitor does on the same events', async () => {
    // Gates no candidate passes: the champion never changes, so the live monitor (which learns of promotions from the
    // registry) sees the same champion answers.
    const same = await runBacktest({ clickhouse: ch, logger: silentLogger(), modelPrefix: 'same' }, {
      records, startIndex: start, initialRecords: 1000, labelDelayMs: 0, arms: [policyArm('accuracy', ACCURACY_POLICY)],
      trainer: backtestTrainer(), ...releaseSettings({ EVAL_MIN_IMPROVEMENT: '1' }), latenessMs: 0, servedMs: DAY_MS, changePoints, workDir: join(dir, 'same'),
    });
    const arm = same.arms[0]!;
    expect(arm.retrains.promoted).toBe(0);
    expect(arm.retrains.requested).toBeGreaterThanOrEqual(3);
    // The live monitor on a copy of what the arm's model holds: features, the champion's answers, the labels.
    const columns = { features: 'ts, event_id, entity_id, numeric, categorical', predictions: 'model_version, variant, ts, event_id, entity_id, prediction, score, latency_ms', labels: 'ts, event_id, label' };
    for (const [table, list] of Object.entries(columns)) {
      await ch.command(`INSERT INTO {db:Identifier}.{table:Identifier} (model, ${list}) SELECT 'live', ${list} FROM {db:Identifier}.{table:Identifier} WHERE model = 'same-0'`, { table });
    }
    const policy = mergePolicy(DEFAULT_POLICY, ACCURACY_POLICY, 'test');
    const monitor = createDriftMonitor({
      bus: runtime.bus, clickhouse: ch, codec: runtime.codec, logger: silentLogger(), metrics: createMetricsRegistry({ processMetrics: false }),
      // Runs end at once in the backtest (a turned-down candidate closes its run): here no trainer reports, so the
      // processing-time safeguard closes each run as soon as it is written.
      settings: { topicPrefix: runtime.config.topicPrefix, groupId: 'same', pollIntervalMs: 3_600_000, latenessMs: 0, epsilon: 1e-4, openRunTimeoutMs: 1, defaultPolicy: policy, policies: new Map() },
    });
    await monitor.buildReference({ model: 'live', modelVersion: '1', from: same.first.from, to: same.first.to, monitorFrom: same.first.to, servedByVersion: false, adaptiveChunks: 0 });
    let decided = -1;
    for (;;) {
      await monitor.tick();
      const [n] = await ch.query<{ n: string }>("SELECT count() AS n FROM {db:Identifier}.drift_reports FINAL WHERE model = 'live'");
      if (Number(n!.n) === decided) break;
      decided = Number(n!.n);
    }
    await monitor.stop();
    const live = await ch.query<{ window_start: string; window_end: string; window_rows: string; decision: string }>(
      "SELECT toString(window_start) AS window_start, toString(window_end) AS window_end, window_rows, decision FROM {db:Identifier}.drift_reports FINAL WHERE model = 'live' ORDER BY window_start",
    );
    expect(live.map((r) => ({ start: fromDateTime64Text(r.window_start), end: fromDateTime64Text(r.window_end), rows: Number(r.window_rows), decision: r.decision })))
      .toEqual(arm.decisions.map(({ start: s, end, rows, decision }) => ({ start: s, end, rows, decision })));
    const requests = await ch.query<{ ts: string; cause_kind: string }>("SELECT toString(ts) AS ts, cause_kind FROM {db:Identifier}.retrain_requests FINAL WHERE model = 'live' ORDER BY ts");
    expect(requests.map((r) => ({ at: fromDateTime64Text(r.ts), cause: r.cause_kind }))).toEqual(arm.history.map((h) => ({ at: h.at, cause: h.cause })));
  }, 180_000);

  it('runs from the command line: JSON on stdout and a self-contained HTML report', async () => {
    const report = join(dir, 'report.html');
    const run = await backtest([
      '--history', 'sea', '--records', '3000', '--initial', '1000', '--schedules', '1', '--policies', JSON.stringify({ accuracy: ACCURACY_POLICY }), '--json', '--report', report,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const json = JSON.parse(run.stdout) as BacktestResult;
    expect(json.replayed).toBe(2000);
    expect(json.arms.map((a) => [a.name, a.kind, a.records])).toEqual([['never', 'never', 2000], ['every 1 week', 'schedule', 2000], ['accuracy', 'policy', 2000]]);
    const html = await readFile(report, 'utf8');
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('driftloop backtest: sea');
    // Nothing to fetch: no script, no stylesheet or image from elsewhere (the SVG namespace is only a name).
    expect(html).not.toMatch(/<script|<link|(src|href)="https?:/);
  }, 120_000);

  it('documents itself and refuses a bad policy naming the key', async () => {
    const help = await backtest(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: driftloop backtest \[options\]/);
    for (const flag of ['--history', '--records', '--policies', '--trainer-spec', '--schedules', '--label-delay', '--report', '--json']) expect(help.stdout).toContain(flag);
    const bad = await backtest(['--history', 'sea', '--policies', '{"p": {"errorDetector": "cusum"}}']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--policies\.p\.errorDetector: "cusum" is not allowed \(allowed: none, adwin, ddm, page-hinkley\)/);
  });
});
