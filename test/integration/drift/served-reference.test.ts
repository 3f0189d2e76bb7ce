import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry, type Registry } from '../../../services/common/index.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { DriftMonitor, DriftReport } from '../../../services/drift/index.js';
import { insertFeatures, insertLabels, insertPredictions, normal, prng, type FeatureRow } from '../../support/drift-data.js';
import { waitFor } from '../../support/index.js';
import { promotionHarness, type PromotionHarness } from './promotion-support.js';

const MODEL = 'm-served';
const T0 = Date.UTC(2026, 5, 1);
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** v1, trained on the first hour, becomes champion at P1; the gateway still answers with v0 for its first seconds. */
const P1 = T0 + HOUR;
const LAG_MS = 5000;
const WINDOW_MS = 10 * MINUTE;
/** The reference waits for this much served traffic: two windows. */
const SERVED_MS = 15 * MINUTE;

let h: PromotionHarness;
let runtime: Runtime;
const z = normal(prng(7));
const flip = prng(11);
/** Whether each champion answer of v1 was right, by event time. */
const v1Right = new Map<number, boolean>();

/**
 * One event a second in [from, to), x ~ N(0, 1) throughout (no feature drift),
 * each answered by the champion of the time and labeled: v0 before the
 * promotion (and for its first seconds) answers badly and scores otherwise; v1
 * answers x > 0, wrong on a share `wrong` of events.
 */
async function traffic(from: number, to: number, wrong: number): Promise<void> {
  const rows: FeatureRow[] = [];
  const predictions = [];
  const labels = [];
  for (let ts = from; ts < to; ts += 1000) {
    const x = z();
    rows.push({ event_id: `s-${ts}`, ts, numeric: { x }, categorical: { plan: ['free', 'pro'][Math.floor((ts / 1000) % 2)]! } });
    const v1 = ts >= P1 + LAG_MS;
    const prediction = v1 ? (x > 0 ? 'yes' : 'no') : x > 1 ? 'yes' : 'no';
    predictions.push({ event_id: `s-${ts}`, ts, variant: 'champion', prediction, score: 1 / (1 + Math.exp(v1 ? -2 * x : 1 - x)), model_version: v1 ? '1' : '0' });
    const right = v1 ? flip() >= wrong : flip() < 0.5;
    if (v1) v1Right.set(ts, right);
    labels.push({ event_id: `s-${ts}`, ts, label: right === (prediction === 'yes') ? 'yes' : 'no' });
  }
  await insertFeatures(runtime.clickhouse, MODEL, rows);
  await insertPredictions(runtime.clickhouse, MODEL, predictions);
  await insertLabels(runtime.clickhouse, MODEL, labels);
}

async function counts(metrics: Registry, name: string, label: string): Promise<Record<string, number>> {
  const values = (await metrics.getSingleMetric(name)?.get())?.values ?? [];
  return Object.fromEntries(values.map((v) => [String(v.labels[label]), v.value]));
}

const reports = async (): Promise<DriftReport[]> =>
  (await runtime.clickhouse.query<{ report: string }>('SELECT report FROM {db:Identifier}.drift_reports FINAL WHERE model = {model:String} ORDER BY window_start', { model: MODEL }))
    .map((r) => JSON.parse(r.report) as DriftReport);
/** Every stored `meta` row of the model's profiles, merged or not: one per profile insert. */
const metaRows = () =>
  runtime.clickhouse.query<{ profile_id: string; built_at: string }>(
    "SELECT profile_id, toString(built_at) AS built_at FROM {db:Identifier}.drift_profiles WHERE model = {model:String} AND kind = 'meta' ORDER BY built_at",
    { model: MODEL },
  );
const judgedOn = (r: DriftReport, kind: string): boolean => r.features.some((f) => f.kind === kind && f.variant === 'champion');

beforeAll(async () => {
  h = await promotionHarness(MODEL, { windowMs: WINDOW_MS, fallbackMs: 0, servedMs: SERVED_MS });
  runtime = h.runtime;
  await traffic(T0, P1, 0);
  await h.trainingRun('run-v1', T0, P1);
}, 120_000);

afterAll(() => h?.close());

describe('a new champion\'s reference completed from its own traffic', () => {
  const metrics = createMetricsRegistry({ processMetrics: false });
  let first: DriftMonitor;
  let profileId: string;

  it('adds the score, class and accuracy of what the champion served once it has served long enough, and judges the windows after it on them', async () => {
    await h.promote('1', 'run-v1', P1);
    first = h.monitor(metrics);
    await first.start();
    await waitFor(() => first.profiles()[0]?.modelVersion === '1', { message: 'v1 reference built', timeoutMs: 60_000 });
    const built = first.profiles()[0]!;
    profileId = built.profileId;
    expect(built).toMatchObject({ monitorFrom: P1, score: null, performance: null, served: { from: P1, to: null, awaiting: 'predictions' } });

    await traffic(P1, P1 + 30 * MINUTE, 0.1);
    await first.tick();
    const decided = await reports();
    // The two windows after the promotion with features only (10 minutes served is short of 15), under the same id as the reference completed after them.
    expect(decided.map((r) => [r.window_start, r.profile_id])).toEqual([[P1, profileId], [P1 + WINDOW_MS, profileId]]);
    expect(decided.some((r) => judgedOn(r, 'prediction') || judgedOn(r, 'performance'))).toBe(false);
    expect(decided.map((r) => r.decision)).toEqual(['none', 'none']);

    // v1's own answers of those two windows only: v0's seconds after the promotion and its hour before are left out.
    const completed = first.profiles()[0]!;
    const own = [...v1Right].filter(([ts]) => ts < P1 + 2 * WINDOW_MS).map(([, right]) => right);
    expect(own).toHaveLength((2 * WINDOW_MS - LAG_MS) / 1000);
    expect(completed).toMatchObject({ profileId, monitorFrom: P1, positiveLabel: 'yes', served: { from: P1, to: P1 + 2 * WINDOW_MS, awaiting: null } });
    expect(completed.score?.rows).toBe(own.length);
    expect(completed.performance?.labeled).toBe(own.length);
    expect(completed.performance!.accuracy).toBeCloseTo(own.filter(Boolean).length / own.length, 9);
    expect(completed.numeric).toEqual(built.numeric);
    expect(await counts(metrics, 'driftloop_drift_served_references_total', 'part')).toEqual({ predictions: 1 });
  }, 120_000);

  it('asks for a retrain when the champion\'s accuracy then drops clearly below its own reference', async () => {
    await traffic(P1 + 30 * MINUTE, P1 + 40 * MINUTE, 0.45);
    await traffic(P1 + 40 * MINUTE, P1 + 50 * MINUTE, 0.1);
    await first.tick();
    const decided = await reports();
    expect(decided.map((r) => r.decision)).toEqual(['none', 'none', 'none', 'retrain']);
    // The first window after the completion is judged on the champion's predictions and accuracy, and holds.
    expect(judgedOn(decided[2]!, 'prediction') && judgedOn(decided[2]!, 'performance')).toBe(true);
    const dropped = decided[3]!;
    expect(dropped.window_start).toBe(P1 + 30 * MINUTE);
    expect(dropped.reasons.join('; ')).toMatch(/champion accuracy 0\.\d+ is 0\.\d+ below the reference/);
    expect(dropped.run_id).not.toBeNull();
    const [request] = await runtime.clickhouse.query<{ cause_kind: string; cause_ref: string }>(
      'SELECT cause_kind, cause_ref FROM {db:Identifier}.retrain_requests FINAL WHERE model = {model:String}', { model: MODEL });
    expect(request).toEqual({ cause_kind: 'performance', cause_ref: dropped.event_id });
    expect(await counts(metrics, 'driftloop_drift_served_references_total', 'part')).toEqual({ predictions: 1 });
  }, 120_000);

  it('completes nothing again after a restart, and keeps judging accuracy with the stored reference', async () => {
    const before = await metaRows();
    // The promotion once, its completion once: one insert each.
    expect(before.map((r) => r.profile_id)).toEqual([profileId, profileId]);
    await first.stop();

    const restarted = createMetricsRegistry({ processMetrics: false });
    const second = h.monitor(restarted);
    await second.start();
    await waitFor(async () => (await counts(restarted, 'driftloop_drift_promotion_references_total', 'outcome')).exists === 1, { message: 'the promotion read again', timeoutMs: 60_000 });
    expect(second.profiles()[0]).toMatchObject({ profileId, served: { awaiting: null } });

    await traffic(P1 + 50 * MINUTE, P1 + 60 * MINUTE, 0.1);
    await second.tick();
    const decided = await reports();
    expect(decided).toHaveLength(5);
    expect(decided[4]).toMatchObject({ window_start: P1 + 40 * MINUTE, profile_id: profileId, decision: 'none' });
    expect(judgedOn(decided[4]!, 'performance')).toBe(true);
    expect(await counts(restarted, 'driftloop_drift_served_references_total', 'part')).toEqual({});
    expect(await metaRows()).toEqual(before);
  }, 120_000);
});
