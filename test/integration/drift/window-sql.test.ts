import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, migrate, silentLogger, type ClickHouse } from '../../../services/common/index.js';
import { buildReferenceProfile } from '../../../services/drift/reference.js';
import { computeWindow } from '../../../services/drift/window-stats.js';
import { windowStatistics } from '../../../services/drift/statistics.js';
import type { ReferenceProfile } from '../../../services/drift/profile.js';
import type { WindowRow } from '../../../services/drift/sql/window-query.js';
import { chiSquarePValue, ksPValue } from '../../../services/drift/stats/special.js';
import * as ref from '../../support/drift-reference.js';
import { insertFeatures, insertLabels, insertPredictions, normal, prng, type FeatureRow } from '../../support/drift-data.js';
import { tempDir } from '../../support/index.js';

const T0 = Date.UTC(2026, 0, 1);
const MODEL = 'churn';
const REF_ROWS = 5000;
const WIN_ROWS = 3000;

let ch: ClickHouse;
let profile: ReferenceProfile;
let rows: WindowRow[];
const data = { ref: [] as FeatureRow[], win: [] as FeatureRow[] };
const scores = { ref: [] as number[], win: [] as number[] };
const labeled: { label: string; prediction: string; score: number | null }[] = [];

const numeric = (rs: FeatureRow[], f: string): number[] => rs.map((r) => r.numeric[f]).filter((v): v is number => v !== undefined && !Number.isNaN(v));
const counts = (rs: FeatureRow[], f: string): Map<string, number> => {
  const m = new Map<string, number>();
  for (const r of rs) if (r.categorical[f] !== undefined) m.set(r.categorical[f]!, (m.get(r.categorical[f]!) ?? 0) + 1);
  return m;
};

beforeAll(async () => {
  ch = await createClickHouse({ url: `chdb:${await tempDir()}`, database: 'drift_sql', logger: silentLogger() });
  await migrate(ch, { logger: silentLogger() });
  const rand = prng(7);
  const z = normal(rand);
  const make = (i: number, ts: number, shifted: boolean): FeatureRow => ({
    event_id: `e${i}`,
    ts,
    numeric: {
      gauss: (shifted ? 0.4 : 0) + z(),
      skewed: Math.exp(z() * (shifted ? 1.3 : 1)),
      // Discrete values with ties, and missing values (absent key or NaN).
      ...(rand() < 0.1 ? {} : { dice: Math.floor(rand() * 6) + (shifted && rand() < 0.2 ? 6 : 0) }),
      ...(rand() < 0.05 ? {} : { sparse: z() * 100 }),
      // Constant in the reference (like Elec2's VIC columns before 1997), varying later.
      flat: shifted ? 0.422915 + z() * 0.01 : 0.422915,
    },
    categorical: { plan: shifted && rand() < 0.2 ? 'enterprise' : ['free', 'basic', 'pro'][Math.floor(rand() * 3)]! },
  });
  for (let i = 0; i < REF_ROWS; i++) data.ref.push(make(i, T0 + i * 1000, false));
  for (let i = 0; i < WIN_ROWS; i++) data.win.push(make(REF_ROWS + i, T0 + (REF_ROWS + i) * 1000, true));
  await insertFeatures(ch, MODEL, [...data.ref, ...data.win]);

  const predictions = [...data.ref, ...data.win].map((r, i) => {
    const score = 1 / (1 + Math.exp(-(r.numeric.gauss ?? 0)));
    (i < REF_ROWS ? scores.ref : scores.win).push(score);
    return { event_id: r.event_id, ts: r.ts, variant: 'champion', prediction: score >= 0.5 ? 'UP' : 'DOWN', score };
  });
  await insertPredictions(ch, MODEL, predictions);
  const labels = predictions.filter((_, i) => i % 3 === 0).map((p) => ({ event_id: p.event_id, ts: p.ts + 500, label: rand() < 0.8 ? p.prediction : p.prediction === 'UP' ? 'DOWN' : 'UP' }));
  await insertLabels(ch, MODEL, labels);
  const byId = new Map(predictions.map((p) => [p.event_id, p]));
  for (const l of labels) if (byId.get(l.event_id)!.ts >= T0 + REF_ROWS * 1000) labeled.push({ label: l.label, prediction: byId.get(l.event_id)!.prediction, score: byId.get(l.event_id)!.score });

  profile = await buildReferenceProfile(ch, { model: MODEL, modelVersion: 'v1', from: T0, to: T0 + REF_ROWS * 1000, gridSize: 200, adaptiveChunks: 4 });
  rows = await computeWindow(ch, profile, { model: MODEL, start: T0 + REF_ROWS * 1000, end: T0 + (REF_ROWS + WIN_ROWS) * 1000 }, { epsilon: 1e-4 });
}, 120_000);

afterAll(async () => ch?.close());

const row = (section: string, key: string, variant = ''): WindowRow => rows.find((r) => r.section === section && r.key === key && r.variant === variant)!;

describe('window statistics in ClickHouse', () => {
  it('builds the reference grid with quantileExact semantics, the deciles inside it', () => {
    for (const f of ['gauss', 'skewed', 'dice', 'sparse']) {
      const sorted = numeric(data.ref, f).sort((a, b) => a - b);
      const p = profile.numeric.find((n) => n.feature === f)!;
      expect(p.grid).toEqual(ref.quantileGrid(sorted, 200));
      expect(p.present).toBe(sorted.length);
      expect(p.fineCounts).toEqual(ref.bucketCounts(sorted, p.grid, p.deciles).fine);
      for (const d of p.deciles) expect(p.grid).toContain(d);
    }
  });

  it.each(['gauss', 'skewed', 'dice', 'sparse'])('matches the TypeScript reference on numeric feature %s to 1e-9', (f) => {
    const R = numeric(data.ref, f);
    const W = numeric(data.win, f);
    const p = profile.numeric.find((n) => n.feature === f)!;
    const r = row('numeric', f);
    const wc = ref.bucketCounts(W, p.grid, p.deciles);
    const rc = ref.bucketCounts(R, p.grid, p.deciles);
    const { mean, std } = ref.numericProfile(W);
    expect(r.present).toBe(W.length);
    expect(r.stats.psi).toBeCloseTo(ref.psi(ref.shares(wc.coarse), ref.shares(rc.coarse)), 9);
    expect(r.stats.js).toBeCloseTo(ref.jsDistance(ref.shares(wc.coarse), ref.shares(rc.coarse)), 9);
    expect(r.stats.ks).toBeCloseTo(ref.ksGrid(R, W, p.grid), 9);
    expect(r.stats.wasserstein_raw).toBeCloseTo(ref.wassersteinGrid(R, W, p.grid), 9);
    expect(r.stats.mean).toBeCloseTo(mean, 9);
    expect(r.stats.std).toBeCloseTo(std, 9);
    expect(r.stats.mean_shift).toBeCloseTo((mean - p.mean) / p.std, 9);
  });

  it.each(['gauss', 'skewed', 'dice', 'sparse'])('keeps the grid KS and Wasserstein of %s within their stated bounds of the exact values', (f) => {
    const R = numeric(data.ref, f);
    const W = numeric(data.win, f);
    const r = row('numeric', f);
    // KS on the grid is a lower bound, short by at most the largest single-bucket share.
    const exact = ref.ksExact(R, W);
    expect(r.stats.ks).toBeLessThanOrEqual(exact + 1e-12);
    expect(exact - r.stats.ks!).toBeLessThanOrEqual(r.stats.ks_bound! + 1e-12);
    // Wasserstein inside the reference range is summed per fine bucket, off by at most
    // the sum of bucket width x both shares.
    expect(Math.abs(r.stats.wasserstein_raw! - ref.wassersteinExact(R, W))).toBeLessThanOrEqual(r.stats.wasserstein_bound! + 1e-12);
  });

  it('matches the TypeScript reference on the categorical feature, p-value included', () => {
    const expected = ref.categoricalStats(counts(data.ref, 'plan'), counts(data.win, 'plan'));
    const r = row('categorical', 'plan');
    expect(r.stats.psi).toBeCloseTo(expected.psi, 9);
    expect(r.stats.js).toBeCloseTo(expected.js, 9);
    expect(r.stats.chi2).toBeCloseTo(expected.chi2, 6);
    expect(r.stats.dof).toBe(expected.dof);
    expect(r.stats.unseen).toBeCloseTo(expected.unseenRate, 12);
    const stats = windowStatistics(rows, profile);
    expect(stats.find((s) => s.feature === 'plan' && s.test === 'chi2')!.pValue).toBeCloseTo(expected.pValue, 9);
  });

  it('compares the champion score distribution and reports performance from the joined labels', () => {
    const p = profile.score!;
    const r = row('score', 'score', 'champion');
    expect(r.stats.ks).toBeCloseTo(ref.ksGrid(scores.ref, scores.win, p.grid), 9);
    expect(r.stats.wasserstein_raw).toBeCloseTo(ref.wassersteinGrid(scores.ref, scores.win, p.grid), 9);
    const perf = row('performance', '', 'champion');
    const expected = ref.performance(labeled, 'UP');
    expect(profile.positiveLabel).toBe('UP');
    expect(perf.present).toBe(labeled.length);
    expect(perf.stats.accuracy).toBeCloseTo(expected.accuracy, 12);
    expect(perf.stats.log_loss).toBeCloseTo(expected.logLoss, 9);
    expect(perf.stats.auc).toBeCloseTo(expected.auc, 9);
  });

  it('derives p-values and null rates from the SQL aggregates', () => {
    const stats = windowStatistics(rows, profile);
    const ks = stats.find((s) => s.feature === 'gauss' && s.test === 'ks')!;
    expect(ks.pValue).toBeCloseTo(ksPValue(ks.value, WIN_ROWS, REF_ROWS), 12);
    const nulls = stats.find((s) => s.feature === 'sparse' && s.test === 'null_rate')!;
    expect(nulls.value).toBeCloseTo(1 - numeric(data.win, 'sparse').length / WIN_ROWS, 12);
    expect(chiSquarePValue(0, 3)).toBe(1);
  });

  it('leaves the Wasserstein distance of a feature constant in the reference unnormalized', () => {
    const r = row('numeric', 'flat');
    expect(profile.numeric.find((n) => n.feature === 'flat')!.grid).toEqual([0.422915]);
    expect(r.stats.wasserstein).toBe(r.stats.wasserstein_raw);
    expect(r.stats.wasserstein_raw).toBeCloseTo(ref.wassersteinExact(numeric(data.ref, 'flat'), numeric(data.win, 'flat')), 12);
    expect(r.stats.mean_shift).toBe(0);
  });

  it('measures adaptive thresholds on reference chunks', () => {
    expect(profile.adaptive['numeric:gauss:wasserstein']).toBeGreaterThan(0);
    expect(profile.adaptive['numeric:gauss:wasserstein']).toBeLessThan(0.5);
  });
});
