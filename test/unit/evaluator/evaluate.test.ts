import { describe, expect, it } from 'vitest';
import { bootstrap, evaluateCandidate, metricsOf, scoreRows, type EvaluationPolicy } from '../../../services/evaluator/index.js';
import { trainBuiltin, type ModelArtifact, type TabularRows } from '../../../services/trainer/builtin/index.js';
import { normal, prng } from '../../support/drift-data.js';

/** y depends on x; in region "b" it also flips with z, which only a model that saw "b" rows learns. */
function rows(n: number, seed: number, shareB = 0.3): TabularRows {
  const rand = prng(seed);
  const z = normal(rand);
  return Array.from({ length: n }, () => {
    const x = z();
    const w = z();
    const region = rand() < shareB ? 'b' : 'a';
    const signal = region === 'a' ? x : -x;
    return { numeric: { x, w }, categorical: { region }, label: signal + 0.3 * z() > 0 ? 'UP' : 'DOWN' };
  });
}

async function train(data: TabularRows, params: Record<string, number | string> = {}): Promise<ModelArtifact> {
  const { artifact } = await trainBuiltin({ algorithm: 'mlp', params: { hidden: [16], epochs: 15, lr: 0.02, ...params }, seed: 1, train: data, validation: data.slice(0, 200) });
  return artifact;
}

const POLICY: EvaluationPolicy = { metric: 'accuracy', minHoldoutRows: 200, absoluteThreshold: 0.5, minImprovement: 0, margin: 0.02, sliceMinRows: 100, sliceTolerance: 0.05, resamples: 200, confidence: 0.95 };

describe('evaluation against the champion', () => {
  it('passes a better candidate, with bootstrap intervals around the point estimates', async () => {
    const holdout = rows(2000, 3);
    const champion = await train(rows(3000, 1, 0)); // never saw region b
    const candidate = await train(rows(3000, 2));
    const outcome = evaluateCandidate({ candidate, champion, rows: holdout, policy: POLICY, seed: 7 });
    expect(outcome.decision, outcome.reason).toBe('register');
    expect(outcome.candidateMetrics.accuracy).toBeGreaterThan(outcome.championMetrics.accuracy! + 0.1);
    for (const [name, value] of Object.entries(outcome.candidateMetrics)) {
      const ci = outcome.candidateCi[name]!;
      expect(ci.low, name).toBeLessThanOrEqual(value);
      expect(ci.high, name).toBeGreaterThanOrEqual(value);
      expect(ci.high - ci.low, name).toBeLessThan(0.1);
    }
    expect(outcome.gates.map((g) => g.name)).toEqual(['holdout_rows', 'sanity_finite', 'sanity_not_constant', 'absolute_accuracy', 'improvement_accuracy', 'confidence_accuracy', 'slices']);
    // Replays identically: the bootstrap is seeded.
    expect(evaluateCandidate({ candidate, champion, rows: holdout, policy: POLICY, seed: 7 })).toEqual(outcome);
  });

  it('rejects a worse candidate, naming the gates it failed and the worst slice', async () => {
    const holdout = rows(2000, 3);
    const champion = await train(rows(3000, 2));
    const candidate = await train(rows(3000, 1, 0));
    const outcome = evaluateCandidate({ candidate, champion, rows: holdout, policy: POLICY, seed: 7 });
    expect(outcome.decision).toBe('reject');
    expect(outcome.reason).toMatch(/^rejected: improvement_accuracy: candidate accuracy 0\.\d+ vs champion 0\.\d+ on the same 2000 rows: -0\.\d+/);
    expect(outcome.reason).toMatch(/slices: worst slice region=b \(\d+ rows\)/);
    const slices = outcome.slices.map((s) => `${s.feature}=${s.value}`);
    expect(slices).toEqual(['region=a', 'region=b']);
  });

  it('judges a first model on the absolute gates alone, and refuses constant or thin evidence', async () => {
    const holdout = rows(1000, 4);
    const first = evaluateCandidate({ candidate: await train(rows(2000, 2)), champion: null, rows: holdout, policy: POLICY, seed: 1 });
    expect(first.decision).toBe('register');
    expect(first.gates.map((g) => g.name)).toEqual(['holdout_rows', 'sanity_finite', 'sanity_not_constant', 'absolute_accuracy']);
    // A network whose weights collapsed: one answer whatever the input.
    const trained = await train(rows(500, 5));
    const constant: ModelArtifact = { ...trained, layers: trained.layers.map((l, i, all) => ({ ...l, weights: l.weights.map(() => 0), bias: i === all.length - 1 ? [0, 5] : l.bias.map(() => 0) })) };
    const outcome = evaluateCandidate({ candidate: constant, champion: null, rows: holdout, policy: POLICY, seed: 1 });
    expect(outcome.decision).toBe('reject');
    expect(outcome.reason).toMatch(/sanity_not_constant: the candidate gives every row the same prediction/);
    const thin = evaluateCandidate({ candidate: await train(rows(2000, 2)), champion: null, rows: holdout.slice(0, 50), policy: POLICY, seed: 1 });
    expect(thin.reason).toMatch(/^rejected: holdout_rows: 50 labeled holdout rows \(at least 200 needed\)/);
  });

  it('bootstraps the paired difference: identical models differ by exactly zero', async () => {
    const holdout = rows(500, 6);
    const model = await train(rows(1000, 2));
    const scored = scoreRows(model, holdout);
    const labels = holdout.map((r) => r.label);
    const intervals = bootstrap(scored, scored, labels, { resamples: 100, confidence: 0.9, seed: 3 });
    expect(intervals.difference.accuracy).toEqual({ low: 0, high: 0 });
    expect(metricsOf(scored, labels).accuracy).toBeGreaterThan(0.8);
  });
});
