import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicName } from '../../../schemas/index.js';
import { createMetricsRegistry, type Registry } from '../../../services/common/index.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { DriftMonitor } from '../../../services/drift/index.js';
import { loadProfile } from '../../../services/drift/store.js';
import { insertFeatures, insertPredictions, normal, prng, type FeatureRow } from '../../support/drift-data.js';
import { quantileGrid } from '../../support/drift-reference.js';
import { waitFor } from '../../support/index.js';
import { readTopic } from '../../support/runtime.js';
import { promotionHarness, type PromotionHarness } from './promotion-support.js';

const MODEL = 'm-promoted';
const T0 = Date.UTC(2026, 4, 1);
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** v1 is promoted as traffic starts; v2, trained on the first hour of traffic, 85 minutes in (mid-window). */
const P1 = T0 + HOUR;
const P2 = T0 + 2 * HOUR + 25 * MINUTE;
const WINDOW_MS = 10 * MINUTE;
const FALLBACK_MS = 30 * MINUTE;

let h: PromotionHarness;
let runtime: Runtime;
/** The monitor started after the restart, which the last test goes on with. */
let second: DriftMonitor;
/** x of every event by its time: v1 learned x ~ N(0, 1); from P1 on, traffic (and v2's training data) has x ~ N(3, 1). */
const xAt = new Map<number, number>();
const z = normal(prng(2026));

/** One event a second in [from, to). */
async function traffic(from: number, to: number): Promise<void> {
  const rows: FeatureRow[] = [];
  for (let ts = from; ts < to; ts += 1000) {
    const x = z() + (ts >= P1 ? 3 : 0);
    xAt.set(ts, x);
    rows.push({ event_id: `e-${ts}`, ts, numeric: { x, y: z() }, categorical: { plan: ['free', 'pro', 'team'][Math.floor((ts / 1000) % 3)]! } });
  }
  await insertFeatures(runtime.clickhouse, MODEL, rows);
  // The champion of the time answered each served event (a score the new champion's reference must not take).
  const served = rows.filter((r) => r.ts >= P1).map((r) => ({ event_id: r.event_id, ts: r.ts, variant: 'champion', prediction: r.numeric.x! > 1.5 ? 'yes' : 'no', score: 1 / (1 + Math.exp(-r.numeric.x!)), model_version: r.ts < P2 ? '1' : '2' }));
  await insertPredictions(runtime.clickhouse, MODEL, served);
}

/** Champion moves the monitor read, by outcome. */
async function outcomes(metrics: Registry): Promise<Record<string, number>> {
  const values = (await metrics.getSingleMetric('driftloop_drift_promotion_references_total')?.get())?.values ?? [];
  return Object.fromEntries(values.map((v) => [String(v.labels.outcome), v.value]));
}

interface StoredReport { window_start: string; window_end: string; profile_id: string; model_version: string; event_id: string; report: string }
const reports = () =>
  runtime.clickhouse.query<StoredReport>(
    'SELECT toString(window_start) AS window_start, toString(window_end) AS window_end, profile_id, model_version, event_id, report FROM {db:Identifier}.drift_reports FINAL WHERE model = {model:String} ORDER BY window_start',
    { model: MODEL },
  );
const storedProfiles = () =>
  runtime.clickhouse.query<{ profile_id: string; model_version: string; built_at: string }>(
    "SELECT profile_id, model_version, toString(built_at) AS built_at FROM {db:Identifier}.drift_profiles FINAL WHERE model = {model:String} AND kind = 'meta' ORDER BY built_at",
    { model: MODEL },
  );
const at = (text: string): number => Date.parse(`${text.replace(' ', 'T')}Z`);
const xDrifted = (r: StoredReport): boolean =>
  (JSON.parse(r.report) as { features: { feature: string; decisive: boolean; drifted: boolean }[] }).features.some((f) => f.feature === 'x' && f.decisive && f.drifted);

beforeAll(async () => {
  h = await promotionHarness(MODEL, { windowMs: WINDOW_MS, fallbackMs: FALLBACK_MS });
  runtime = h.runtime;
  await traffic(T0, P1);
  await h.trainingRun('run-v1', T0, P1);
  // v2's trainer measured how much it leans on each input.
  await h.trainingRun('run-v2', P1, P1 + HOUR, { test_accuracy: 0.9, 'importance.x': 0.3, 'importance.y': 0.01 });
}, 120_000);

afterAll(() => h?.close());

describe('drift reference of a new champion', () => {
  const metrics = createMetricsRegistry({ processMetrics: false });
  let first: DriftMonitor;

  it('builds the champion\'s reference from its training run\'s window and compares windows with it from the promotion on', async () => {
    expect(await h.promote('1', 'run-v1', P1)).toBe('1');
    first = h.monitor(metrics);
    await first.start();
    await waitFor(async () => (await outcomes(metrics)).built === 1, { message: 'v1 reference built', timeoutMs: 60_000 });
    expect(first.profiles().map((p) => [p.modelVersion, p.monitorFrom])).toEqual([['1', P1]]);

    // Traffic up to v2's promotion, which falls inside a window; v1's reference decides what has closed.
    await traffic(P1, P2);
    await first.tick();
    expect((await reports()).map((r) => r.model_version)).toEqual(Array(8).fill('1'));

    expect(await h.promote('2', 'run-v2', P2)).toBe('2');
    await waitFor(async () => (await outcomes(metrics)).built === 2, { message: 'v2 reference built', timeoutMs: 60_000 });
    const v2 = first.profiles()[0]!;
    expect(v2).toMatchObject({ model: MODEL, modelVersion: '2', monitorFrom: P2, score: null, classes: null, positiveLabel: null, performance: null, importance: { x: 0.3, y: 0.01 }, testAccuracy: 0.9 });
    // Stored with the profile: a restarted monitor weighs drift by it too.
    expect((await loadProfile(runtime.clickhouse, MODEL, v2.profileId))!).toMatchObject({ importance: { x: 0.3, y: 0.01 }, testAccuracy: 0.9 });
    expect(v2.source).toContain('training window of run run-v2');
    // Built from v2's training window: every x of [P1, P1 + 1 h), quantile for quantile.
    const trained = [...xAt].filter(([ts]) => ts >= P1 && ts < P1 + HOUR).map(([, x]) => x);
    const x = v2.numeric.find((f) => f.feature === 'x')!;
    expect(x.rows).toBe(3600);
    expect(x.mean).toBeCloseTo(trained.reduce((a, b) => a + b, 0) / trained.length, 9);
    const grid = quantileGrid(trained, 1000);
    expect(x.grid).toHaveLength(grid.length);
    x.grid.forEach((g, i) => expect(g).toBeCloseTo(grid[i]!, 9));
    expect(v2.categorical.map((f) => f.feature)).toEqual(['plan']);

    await traffic(P2, T0 + 3 * HOUR);
    await first.tick();
    const stored = await reports();
    // v1: eight whole windows from its promotion, then the one spanning v2's promotion, cut short there; v2 from its promotion on.
    expect(stored.map((r) => r.model_version)).toEqual([...Array(9).fill('1'), '2', '2', '2']);
    expect(at(stored[0]!.window_start)).toBe(P1);
    expect(at(stored[8]!.window_end)).toBe(P2);
    expect(at(stored[9]!.window_start)).toBe(P2);
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.window_start).toBe(stored[i - 1]!.window_end);
    expect(new Set(stored.slice(9).map((r) => r.profile_id))).toEqual(new Set([v2.profileId]));
    // x moved away from what v1 learned, but is what v2 learned.
    expect(stored.slice(0, 9).every(xDrifted)).toBe(true);
    expect(stored.slice(9).some(xDrifted)).toBe(false);
  }, 180_000);

  it('builds nothing twice and moves no window back when registry-events is replayed, also by a restarted monitor reading it from the start', async () => {
    const profilesBefore = await storedProfiles();
    const reportsBefore = await reports();
    expect(profilesBefore.map((p) => p.model_version)).toEqual(['1', '2']);

    // The same message once more.
    const name = topicName(runtime.config.topicPrefix, 'registry-events');
    const messages = await readTopic(runtime, name, 6);
    const promotions = [];
    for (const msg of messages) {
      const event = await runtime.codec.decode('registry-events', msg.value!);
      if (event.action === 'alias_set' && event.alias === 'champion') promotions.push({ version: event.version, msg });
    }
    expect(promotions.map((p) => p.version)).toEqual(['1', '2']);
    const producer = await runtime.bus.producer();
    await producer.send(name, [{ key: MODEL, value: promotions[1]!.msg.value! }]);
    await waitFor(async () => (await outcomes(metrics)).exists === 1, { message: 'the replayed promotion recognised', timeoutMs: 60_000 });
    await first.stop();

    // A restart whose group has no offsets reads every champion move again: v1's is superseded, v2's already built.
    const restarted = createMetricsRegistry({ processMetrics: false });
    second = h.monitor(restarted);
    await second.start();
    await waitFor(async () => {
      const seen = await outcomes(restarted);
      return seen.superseded === 1 && seen.exists === 2;
    }, { message: 'every promotion read again', timeoutMs: 60_000 });
    expect((await outcomes(restarted)).built).toBeUndefined();
    expect(await storedProfiles()).toEqual(profilesBefore);
    expect(second.profiles().map((p) => p.modelVersion)).toEqual(['2']);

    // Nothing decided is redone; new traffic continues after the last decided window, with v2's reference.
    await second.tick();
    expect((await reports()).map((r) => r.event_id)).toEqual(reportsBefore.map((r) => r.event_id));
    await traffic(T0 + 3 * HOUR, T0 + 3 * HOUR + 20 * MINUTE);
    await second.tick();
    const stored = await reports();
    expect(stored.slice(0, reportsBefore.length).map((r) => r.event_id)).toEqual(reportsBefore.map((r) => r.event_id));
    expect(stored.length).toBe(reportsBefore.length + 2);
    expect(stored[reportsBefore.length]!.window_start).toBe(reportsBefore.at(-1)!.window_end);
    expect(stored.slice(reportsBefore.length).every((r) => r.model_version === '2')).toBe(true);
  }, 180_000);

  it('gives a version registered by hand a reference from the traffic before its promotion, in force from the first window not yet decided', async () => {
    const P3 = T0 + 3 * HOUR + 20 * MINUTE;
    // The monitor is behind: v2's reference decides windows past v3's promotion before v3's reference exists.
    await traffic(P3, P3 + 30 * MINUTE);
    await second.tick();
    const decided = await reports();
    expect(at(decided.at(-1)!.window_end)).toBeGreaterThan(P3);
    expect(decided.at(-1)!.model_version).toBe('2');

    expect(await h.promote('3', '', P3)).toBe('3');
    await waitFor(() => second.profiles()[0]?.modelVersion === '3', { message: 'v3 reference built', timeoutMs: 60_000 });
    const v3 = second.profiles()[0]!;
    expect(v3.monitorFrom).toBe(P3);
    expect(v3.source).toContain('no training window, traffic before the promotion');
    expect(v3.numeric.find((f) => f.feature === 'x')!.rows).toBe(FALLBACK_MS / 1000);

    await traffic(P3 + 30 * MINUTE, P3 + 45 * MINUTE);
    await second.tick();
    const stored = await reports();
    expect(stored.slice(0, decided.length).map((r) => r.event_id)).toEqual(decided.map((r) => r.event_id));
    expect(stored.slice(decided.length).map((r) => [r.window_start, r.profile_id])).toEqual([[decided.at(-1)!.window_end, v3.profileId]]);
  }, 120_000);
});
