import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClickHouse } from '../../../services/common/index.js';
import { fitCalibration } from '../../../services/drift/cbpe.js';
import { DEFAULT_POLICY, decideWindow, judge, mergePolicy } from '../../../services/drift/policy.js';
import type { ReferenceProfile } from '../../../services/drift/profile.js';
import { buildReferenceProfile } from '../../../services/drift/reference.js';
import { windowStatistics } from '../../../services/drift/statistics.js';
import { computeWindow } from '../../../services/drift/window-stats.js';
import { migratedChdb } from '../../support/clickhouse.js';
import { insertFeatures, insertLabels, insertPredictions, prng } from '../../support/drift-data.js';

const T0 = Date.UTC(2026, 0, 1);
const MODEL = 'cbpe';
const REF_ROWS = 4000;
const WIN_ROWS = 2000;

let ch: ClickHouse;
let profile: ReferenceProfile;
/** What the window's scores promise, computed here from the generator: the mean of max(s, 1 - s) for calibrated scores. */
let promised = 0;
/** The window's accuracy once its labels are in. */
let actual = 0;
/** The window's labels, held back until the last test. */
const windowLabels: { event_id: string; ts: number; label: string }[] = [];

/**
 * A calibrated binary classifier (label UP with probability = its score) whose
 * reference scores spread over (0, 1) and whose window scores crowd near 0.5:
 * the same model, suddenly unsure. Labels of the window are held back.
 */
beforeAll(async () => {
  ch = await migratedChdb('drift_cbpe');
  const rand = prng(11);
  const events = [];
  const predictions = [];
  const labels: { event_id: string; ts: number; label: string }[] = [];
  let right = 0;
  for (let i = 0; i < REF_ROWS + WIN_ROWS; i++) {
    const inWindow = i >= REF_ROWS;
    const ts = T0 + i * 1000;
    const score = inWindow ? 0.35 + 0.3 * rand() : rand();
    const label = rand() < score ? 'UP' : 'DOWN';
    const prediction = score >= 0.5 ? 'UP' : 'DOWN';
    events.push({ event_id: `e${i}`, ts, numeric: { x: rand() }, categorical: {} });
    predictions.push({ event_id: `e${i}`, ts, variant: 'champion', prediction, score });
    (inWindow ? windowLabels : labels).push({ event_id: `e${i}`, ts: ts + 500, label });
    if (inWindow) {
      promised += Math.max(score, 1 - score) / WIN_ROWS;
      if (label === prediction) right++;
    }
  }
  actual = right / WIN_ROWS;
  await insertFeatures(ch, MODEL, events);
  await insertPredictions(ch, MODEL, predictions);
  await insertLabels(ch, MODEL, labels);
  profile = await buildReferenceProfile(ch, { model: MODEL, modelVersion: '1', from: T0, to: T0 + REF_ROWS * 1000, adaptiveChunks: 0 });
}, 120_000);

afterAll(() => ch?.close());

const windowBounds = { model: MODEL, start: T0 + REF_ROWS * 1000, end: T0 + (REF_ROWS + WIN_ROWS) * 1000 };

describe('confidence-based performance estimation (CBPE)', () => {
  it('calibrates the reference scores on its labeled answers: a monotone map close to the identity for a calibrated model', () => {
    const calibration = profile.performance?.calibration;
    expect(calibration).toBeTruthy();
    expect(calibration!.labeled).toBe(REF_ROWS);
    expect(calibration!.positiveRate).toHaveLength(calibration!.edges.length + 1);
    for (let i = 1; i < calibration!.positiveRate.length; i++) expect(calibration!.positiveRate[i]!).toBeGreaterThanOrEqual(calibration!.positiveRate[i - 1]!);
    // Each decile bin's rate is near its mid-score (bins of 400 answers: about ±0.05 of noise).
    const bounds = [0, ...calibration!.edges, 1];
    calibration!.positiveRate.forEach((rate, i) => expect(Math.abs(rate - (bounds[i]! + bounds[i + 1]!) / 2)).toBeLessThan(0.08));
  });

  it('estimates a window\'s accuracy from its scores alone, as the generator promises, and retrains on the estimated drop only where the policy says so', async () => {
    const statistics = windowStatistics(await computeWindow(ch, profile, windowBounds, { epsilon: 1e-4 }), profile);
    const estimate = statistics.find((s) => s.test === 'expected_accuracy' && s.variant === 'champion')!;
    expect(estimate.present).toBe(WIN_ROWS);
    expect(Math.abs(estimate.value - promised)).toBeLessThan(0.03);
    // No label of the window is in yet: labeled accuracy has nothing to say.
    expect(statistics.find((s) => s.test === 'accuracy' && s.variant === 'champion')).toBeUndefined();
    const reference = profile.performance!.accuracy;
    expect(reference - estimate.value).toBeGreaterThan(0.1);

    const decide = (keys: Record<string, unknown>) => {
      const policy = mergePolicy(DEFAULT_POLICY, { predictionDrift: false, driftShare: 1, ...keys }, 'test');
      return decideWindow(judge(statistics, policy, profile), policy, profile, WIN_ROWS, 0);
    };
    expect(decide({}).decision).toBe('none');
    const verdict = decide({ estimatedPerformance: true });
    expect(verdict).toMatchObject({ decision: 'retrain', cause: 'performance' });
    expect(verdict.reasons.join('; ')).toMatch(/champion accuracy estimated from its scores \(CBPE, 0 labels yet\) 0\.\d{4} is 0\.\d{4} below the reference/);
  });

  it('lets the labels decide once a window has enough of them', async () => {
    // The same window, its labels in: the estimate and the truth agree, and accuracy is judged from the labels.
    await insertLabels(ch, MODEL, windowLabels);
    const statistics = windowStatistics(await computeWindow(ch, profile, windowBounds, { epsilon: 1e-4 }), profile);
    const labeled = statistics.find((s) => s.test === 'accuracy' && s.variant === 'champion')!;
    const estimate = statistics.find((s) => s.test === 'expected_accuracy' && s.variant === 'champion')!;
    expect(labeled.value).toBeCloseTo(actual, 10);
    expect(Math.abs(estimate.value - labeled.value)).toBeLessThan(0.04);
    const policy = mergePolicy(DEFAULT_POLICY, { predictionDrift: false, driftShare: 1, estimatedPerformance: true }, 'test');
    expect(decideWindow(judge(statistics, policy, profile), policy, profile, WIN_ROWS, 0).reasons.join('; ')).toMatch(/(^|; )champion accuracy 0\.\d{4} is/);
  });
});

describe('calibration fit', () => {
  it('pools adjacent violators into a non-decreasing map, fills empty bins from a neighbour, keeps rates off 0 and 1', () => {
    const fit = fitCalibration([0.25, 0.5, 0.75], [
      { bin: 1, n: 40, positive: 0 }, { bin: 2, n: 10, positive: 6 }, { bin: 3, n: 30, positive: 12 },
    ]);
    // Bins 2 and 3 violate the order (0.6 > 0.4): pooled to 18 / 40. Bin 4 is empty: it takes bin 3's rate.
    expect(fit).toEqual({ edges: [0.25, 0.5, 0.75], positiveRate: [0.001, 0.45, 0.45, 0.45], labeled: 80 });
    expect(fitCalibration([0.5], [{ bin: 1, n: 10, positive: 3 }])).toBeNull();
  });
});
