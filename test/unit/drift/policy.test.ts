import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../services/common/index.js';
import { DEFAULT_POLICY, decideWindow, decisiveTest, judge, mergePolicy, parsePolicies } from '../../../services/drift/policy.js';
import type { ReferenceProfile } from '../../../services/drift/profile.js';
import type { Statistic } from '../../../services/drift/statistics.js';

const profile = (over: Partial<ReferenceProfile> = {}): ReferenceProfile => ({
  model: 'm', modelVersion: 'v1', profileId: 'p', builtAt: 0, source: 'test', monitorFrom: 0, numeric: [], categorical: [], score: null, classes: null,
  positiveLabel: null, performance: null, adaptive: {}, ...over,
});
const stat = (feature: string, test: string, value: number, over: Partial<Statistic> = {}): Statistic => ({ feature, kind: 'numeric', variant: '', test, value, pValue: null, present: 5000, ...over });

describe('drift policy configuration', () => {
  it('reads per-model overrides over the defaults', () => {
    const policies = parsePolicies('{"elec2": {"windowRows": 2000, "thresholds": {"psi": 0.25}, "mode": "adaptive"}}', DEFAULT_POLICY);
    const p = policies.get('elec2')!;
    expect(p.windowRows).toBe(2000);
    expect(p.thresholds).toEqual({ ...DEFAULT_POLICY.thresholds, psi: 0.25 });
    expect(p.mode).toBe('adaptive');
    expect(DEFAULT_POLICY.thresholds.psi).toBe(0.2);
  });

  it.each([
    ['not json', /DRIFT_POLICIES: is not JSON/],
    ['[]', /must be a JSON object/],
    ['{"m": {"windows": 3}}', /DRIFT_POLICIES\.m\.windows: unknown policy key \(allowed: mode, numericTest/],
    ['{"m": {"mode": "magic"}}', /DRIFT_POLICIES\.m\.mode: "magic" is not allowed \(allowed: fixed, adaptive\)/],
    ['{"m": {"thresholds": {"kl": 1}}}', /DRIFT_POLICIES\.m\.thresholds\.kl: unknown threshold \(allowed: psi, js, ksPValue, wasserstein, chi2PValue\)/],
    ['{"m": {"driftShare": 2}}', /DRIFT_POLICIES\.m\.driftShare: must be from 0 to 1/],
    ['{"m": {"consecutiveWindows": 0}}', /consecutiveWindows: must be at least 1/],
    ['{"m": {"predictionDrift": "yes"}}', /predictionDrift: must be true or false/],
  ])('refuses %s naming the key and what is allowed', (json, message) => {
    expect(() => parsePolicies(json, DEFAULT_POLICY)).toThrow(ConfigError);
    expect(() => parsePolicies(json, DEFAULT_POLICY)).toThrow(message);
  });
});

describe('judging statistics', () => {
  it('picks KS and chi-square for small windows and Wasserstein and JS for large ones', () => {
    expect(decisiveTest(DEFAULT_POLICY, 'numeric', 1000)).toBe('ks');
    expect(decisiveTest(DEFAULT_POLICY, 'numeric', 1001)).toBe('wasserstein');
    expect(decisiveTest(DEFAULT_POLICY, 'categorical', 500)).toBe('chi2');
    expect(decisiveTest(DEFAULT_POLICY, 'categorical', 5000)).toBe('js');
    expect(decisiveTest(mergePolicy(DEFAULT_POLICY, { numericTest: 'psi' }, 't'), 'numeric', 10)).toBe('psi');
  });

  it('drifts p-value tests below their threshold and distances at or above theirs', () => {
    const judged = judge(
      [stat('a', 'ks', 0.2, { pValue: 0.01, present: 500 }), stat('b', 'ks', 0.01, { pValue: 0.5, present: 500 }), stat('c', 'wasserstein', 0.1), stat('d', 'wasserstein', 0.099), stat('e', 'mean_shift', 3)],
      DEFAULT_POLICY,
      profile(),
    );
    expect(judged.map((s) => [s.feature, s.drifted, s.decisive])).toEqual([['a', true, true], ['b', false, true], ['c', true, true], ['d', false, true], ['e', false, false]]);
  });

  it('uses the adaptive threshold of the statistic where the reference measured one', () => {
    const adaptive = mergePolicy(DEFAULT_POLICY, { mode: 'adaptive' }, 't');
    const [s] = judge([stat('a', 'wasserstein', 0.15)], adaptive, profile({ adaptive: { 'numeric:a:wasserstein': 0.2 } }));
    expect(s).toMatchObject({ drifted: false, threshold: 0.2 });
    const [fallback] = judge([stat('b', 'wasserstein', 0.15)], adaptive, profile());
    expect(fallback).toMatchObject({ drifted: true, threshold: 0.1 });
  });
});

describe('deciding a window', () => {
  const features = (drifted: number, of: number) => judge(Array.from({ length: of }, (_, i) => stat(`f${i}`, 'wasserstein', i < drifted ? 0.5 : 0.01)), DEFAULT_POLICY, profile());

  it('decides nothing on a window under the minimum size', () => {
    expect(decideWindow(features(10, 10), DEFAULT_POLICY, profile(), 99, 5)).toMatchObject({ decision: 'none', streak: 0 });
  });

  it('watches the first drifting window and retrains at the configured streak', () => {
    const first = decideWindow(features(6, 10), DEFAULT_POLICY, profile(), 5000, 0);
    expect(first).toMatchObject({ decision: 'watch', datasetDrift: true, driftShare: 0.6, streak: 1, cause: null });
    expect(decideWindow(features(6, 10), DEFAULT_POLICY, profile(), 5000, 1)).toMatchObject({ decision: 'retrain', streak: 2, cause: 'drift' });
  });

  it('does not call a minority of drifted features dataset drift', () => {
    const v = decideWindow(features(3, 20), DEFAULT_POLICY, profile(), 5000, 1);
    expect(v).toMatchObject({ decision: 'none', datasetDrift: false, driftShare: 0.15 });
    expect(v.reasons[0]).toMatch(/3 of 20 features drifted/);
  });

  it('counts drift of the champion predictions alone when the policy says so', () => {
    const judged = judge([stat('score', 'wasserstein', 0.4, { kind: 'prediction', variant: 'champion' })], DEFAULT_POLICY, profile());
    expect(decideWindow(judged, DEFAULT_POLICY, profile(), 5000, 1)).toMatchObject({ decision: 'retrain', cause: 'drift' });
    const off = mergePolicy(DEFAULT_POLICY, { predictionDrift: false }, 't');
    expect(decideWindow(judged, off, profile(), 5000, 1)).toMatchObject({ decision: 'none' });
  });

  it('retrains on an accuracy drop beyond the allowed one once enough labels arrived', () => {
    const ref = profile({ performance: { labeled: 1000, accuracy: 0.9, errorRate: 0.1, logLoss: null, auc: null } });
    const acc = (value: number, present: number) => judge([stat('performance', 'accuracy', value, { kind: 'performance', variant: 'champion', present })], DEFAULT_POLICY, ref);
    expect(decideWindow(acc(0.8, 500), DEFAULT_POLICY, ref, 5000, 0)).toMatchObject({ decision: 'retrain', cause: 'performance' });
    expect(decideWindow(acc(0.8, 50), DEFAULT_POLICY, ref, 5000, 0)).toMatchObject({ decision: 'none' });
    expect(decideWindow(acc(0.86, 500), DEFAULT_POLICY, ref, 5000, 0)).toMatchObject({ decision: 'none' });
  });

  it('measures the drop from the higher of the served and the test accuracy by default, so a champion that served badly from its promotion on is still judged', () => {
    // Promoted as the concept changed: it served 0.60, though it scored 0.88 on its test split at training.
    const ref = profile({ performance: { labeled: 1000, accuracy: 0.6, errorRate: 0.4, logLoss: null, auc: null }, testAccuracy: 0.88 });
    const served = mergePolicy(DEFAULT_POLICY, { accuracyReference: 'served' }, 't');
    const acc = judge([stat('performance', 'accuracy', 0.6, { kind: 'performance', variant: 'champion', present: 500 })], DEFAULT_POLICY, ref);
    const verdict = decideWindow(acc, DEFAULT_POLICY, ref, 5000, 0);
    expect(verdict).toMatchObject({ decision: 'retrain', cause: 'performance' });
    expect(verdict.reasons.join('; ')).toMatch(/champion accuracy 0\.6000 is 0\.2800 below its test accuracy at training 0\.8800 \(max drop 0\.05\)/);
    expect(decideWindow(acc, served, ref, 5000, 0)).toMatchObject({ decision: 'none' });
    // Served better than tested: the served accuracy is the reference either way; before it is known, nothing is judged.
    const better = profile({ performance: { labeled: 1000, accuracy: 0.9, errorRate: 0.1, logLoss: null, auc: null }, testAccuracy: 0.7 });
    const dropped = judge([stat('performance', 'accuracy', 0.8, { kind: 'performance', variant: 'champion', present: 500 })], DEFAULT_POLICY, better);
    expect(decideWindow(dropped, DEFAULT_POLICY, better, 5000, 0).reasons.join('; ')).toMatch(/below the reference 0\.9000/);
    expect(decideWindow(acc, DEFAULT_POLICY, profile({ testAccuracy: 0.88 }), 5000, 0)).toMatchObject({ decision: 'none' });
    expect(() => mergePolicy(DEFAULT_POLICY, { accuracyReference: 'test' }, 'DRIFT_POLICIES.m')).toThrow(/accuracyReference.*served, higher/);
  });

  it('lets drift open a retrain only where the champion\'s accuracy is not judged, by default; with retrainOnDrift always, wherever it drifts', () => {
    const ref = profile({ performance: { labeled: 1000, accuracy: 0.9, errorRate: 0.1, logLoss: null, auc: null } });
    const drifted = (accuracy: number | null) => judge([
      ...Array.from({ length: 4 }, (_, i) => stat(`f${i}`, 'wasserstein', 0.5)),
      ...(accuracy === null ? [] : [stat('performance', 'accuracy', accuracy, { kind: 'performance', variant: 'champion', present: 500 })]),
    ], DEFAULT_POLICY, ref);
    const held = decideWindow(drifted(0.88), DEFAULT_POLICY, ref, 5000, 1);
    expect(held).toMatchObject({ decision: 'watch', datasetDrift: true, drifting: true, streak: 2, cause: null });
    expect(held.reasons.at(-1)).toBe('champion accuracy held within 0.05 of the reference: drift alone is watched (retrainOnDrift: unmeasured)');
    const always = mergePolicy(DEFAULT_POLICY, { retrainOnDrift: 'always' }, 't');
    expect(decideWindow(drifted(0.88), always, ref, 5000, 1)).toMatchObject({ decision: 'retrain', cause: 'drift' });
    // Too few labels in the window, no labeled reference, or no accuracy check: drift decides.
    expect(decideWindow(drifted(null), DEFAULT_POLICY, ref, 5000, 1)).toMatchObject({ decision: 'retrain', cause: 'drift' });
    expect(decideWindow(drifted(0.88), DEFAULT_POLICY, profile(), 5000, 1)).toMatchObject({ decision: 'retrain', cause: 'drift' });
    expect(decideWindow(drifted(0.88), mergePolicy(DEFAULT_POLICY, { maxAccuracyDrop: 0 }, 't'), ref, 5000, 1)).toMatchObject({ decision: 'retrain', cause: 'drift' });
    // The accuracy itself dropped: a retrain for performance, drift or not.
    expect(decideWindow(drifted(0.8), DEFAULT_POLICY, ref, 5000, 1)).toMatchObject({ decision: 'retrain', cause: 'performance' });
  });

  it('weighs drifted features by the champion\'s importance where the policy says so: drift in what it ignores is watch, not retrain', () => {
    const weighted = mergePolicy(DEFAULT_POLICY, { importanceWeighted: true }, 't');
    // f0..f5 drifted (6 of 10, a dataset drift unweighted); the model leans on f8 and f9 only.
    const ref = profile({ importance: { f8: 0.2, f9: 0.1, f0: 0.001, f1: -0.003 } });
    const judged = judge(Array.from({ length: 10 }, (_, i) => stat(`f${i}`, 'wasserstein', i < 6 ? 0.5 : 0.01)), weighted, ref);
    expect(decideWindow(judged, DEFAULT_POLICY, ref, 5000, 1)).toMatchObject({ decision: 'retrain', driftShare: 0.6 });
    const ignored = decideWindow(judged, weighted, ref, 5000, 1);
    expect(ignored).toMatchObject({ decision: 'watch', datasetDrift: false, drifting: false, streak: 0, cause: null });
    expect(ignored.driftShare).toBeCloseTo(0.001 / 0.301, 10);
    expect(ignored.reasons.join('; ')).toMatch(/importance-weighted share 0\.003 < 0\.5: the champion leans little on what drifted/);
    // The features it leans on drift: nearly all the weight.
    const leaned = judge(Array.from({ length: 10 }, (_, i) => stat(`f${i}`, 'wasserstein', i >= 8 ? 0.5 : 0.01)), weighted, ref);
    const verdict = decideWindow(leaned, weighted, ref, 5000, 1);
    expect(verdict).toMatchObject({ decision: 'retrain', datasetDrift: true, cause: 'drift' });
    expect(verdict.driftShare).toBeCloseTo(0.3 / 0.301, 10);
    // No importance known (a reference built by hand): the share is unweighted.
    expect(decideWindow(judged, weighted, profile(), 5000, 1)).toMatchObject({ decision: 'retrain', driftShare: 0.6 });
  });
});
