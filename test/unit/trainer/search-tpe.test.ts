import { describe, expect, it } from 'vitest';
import {
  createRandomSampler,
  createTpeSampler,
  defaultGamma,
  parseSearchSpace,
  runStudy,
  type Sampler,
  type TrialRecord,
} from '../../../services/trainer/search/index.js';
import { DEFAULT_PARZEN_OPTIONS, observationWeights, parzenBandwidths } from '../../../services/trainer/search/parzen-estimator.js';
import { splitTrials } from '../../../services/trainer/search/tpe-sampler.js';

const TARGET = 0.7;
const quadraticSpace = parseSearchSpace({ x: { type: 'float', low: 0, high: 1 } });

async function lastSamplesDistance(sampler: Sampler, seed: number): Promise<number> {
  const result = await runStudy({
    space: quadraticSpace,
    sampler,
    direction: 'minimize',
    maxTrials: 60,
    seed,
    objective: async (t) => ((t.params.x as number) - TARGET) ** 2,
  });
  const last = result.trials.slice(-20);
  return last.reduce((s, t) => s + Math.abs((t.params.x as number) - TARGET), 0) / last.length;
}

function trial(id: number, state: TrialRecord['state'], value?: number, intermediate: [number, number][] = []): TrialRecord {
  return { id, state, params: {}, intermediate: new Map(intermediate), startedAtMs: 0, ...(value === undefined ? {} : { value }) };
}

describe('TPE sampler', () => {
  it('concentrates its samples near the minimum of a quadratic, unlike random search', async () => {
    for (const seed of [1, 2, 3]) {
      const tpe = await lastSamplesDistance(createTpeSampler(), seed);
      const random = await lastSamplesDistance(createRandomSampler(), seed);
      // Random search stays uniform: mean |x - 0.7| = (0.7^2 + 0.3^2) / 2 = 0.29.
      expect(random).toBeGreaterThan(0.15);
      expect(tpe).toBeLessThan(random / 2);
    }
  });

  it('samples at random until n_startup_trials trials finished, running and failed ones not counting', () => {
    const space = parseSearchSpace({ x: { type: 'float', low: 0, high: 1 } });
    const history = [
      ...Array.from({ length: 9 }, (_, i) => ({ ...trial(i, 'complete', i), params: { x: 0.5 } })),
      { ...trial(9, 'failed'), params: { x: 0.5 } },
      { ...trial(10, 'running'), params: { x: 0.5 } },
    ];
    // With only 9 finished trials all at 0.5, a model would put everything near 0.5; random spreads out.
    const tpe = createTpeSampler();
    let seed = 0;
    const xs = Array.from({ length: 200 }, () => tpe.sample(space, history, { next: () => ((seed = (seed * 16807 + 11) % 2147483647) / 2147483647) }, 'minimize').x as number);
    expect(xs.filter((x) => Math.abs(x - 0.5) > 0.25).length).toBeGreaterThan(60);
  });

  it('keeps int, stepped, log-uniform and categorical proposals legal once the model is in use', async () => {
    const space = parseSearchSpace({
      units: { type: 'int', low: 8, high: 64, step: 8 },
      dropout: { type: 'float', low: 0, high: 0.5, step: 0.1 },
      lr: { type: 'logfloat', low: 1e-5, high: 1e-1 },
      act: { type: 'categorical', choices: ['relu', 'tanh', 'gelu'] },
    });
    const result = await runStudy({
      space,
      sampler: createTpeSampler(),
      direction: 'maximize',
      maxTrials: 50,
      seed: 9,
      objective: async ({ params }) => -Math.abs(Math.log10(params.lr as number) + 3) - Math.abs((params.units as number) - 32) / 8 + (params.act === 'gelu' ? 1 : 0),
    });
    for (const t of result.trials) {
      expect([8, 16, 24, 32, 40, 48, 56, 64]).toContain(t.params.units);
      expect([0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5]).toContain(t.params.dropout);
      expect(t.params.lr).toBeGreaterThanOrEqual(1e-5);
      expect(t.params.lr).toBeLessThanOrEqual(1e-1);
    }
    // The model favours the better choice and the better learning-rate decade in the second half.
    const late = result.trials.slice(25);
    expect(late.filter((t) => t.params.act === 'gelu').length).toBeGreaterThan(late.length / 2);
    expect(late.filter((t) => Math.abs(Math.log10(t.params.lr as number) + 3) < 1).length).toBeGreaterThan(late.length / 2);
  });

  it("uses Optuna's default gamma, min(ceil(0.1 n), 25)", () => {
    expect([1, 10, 11, 100, 250, 251, 1000].map(defaultGamma)).toEqual([1, 1, 2, 10, 25, 25, 25]);
  });

  it('ranks pruned trials after complete ones, the furthest-reaching first', () => {
    const finished = [
      trial(0, 'complete', 5),
      trial(1, 'pruned', 0.1, [[0, 0.5], [1, 0.1]]),
      trial(2, 'complete', 3),
      trial(3, 'pruned', 9, [[0, 9], [1, 9], [2, 9]]),
      trial(4, 'pruned', undefined, []),
    ];
    const { below, above } = splitTrials(finished, 4, 'minimize');
    expect(below.map((t) => t.id)).toEqual([0, 1, 2, 3]);
    expect(above.map((t) => t.id)).toEqual([4]);
    expect(splitTrials(finished, 1, 'maximize').below.map((t) => t.id)).toEqual([0]);
  });

  it("sets kernel bandwidths by Optuna's neighbour rule with the magic clip", () => {
    // Sorted with the bounds: 0 | 0.2 0.5 0.6 | 1. Inner gaps: max(0.3, 0.1) = 0.3 for 0.5; the outermost
    // observations look inward only (consider_endpoints false): 0.3 and 0.1; the clip floor is 1 / min(100, 1 + 4) = 0.2.
    expect(parzenBandwidths([0.6, 0.2, 0.5], 0, 1, DEFAULT_PARZEN_OPTIONS)).toEqual([0.2, expect.closeTo(0.3, 12), expect.closeTo(0.3, 12)]);
    expect(parzenBandwidths([0.6, 0.2, 0.5], 0, 1, { ...DEFAULT_PARZEN_OPTIONS, considerEndpoints: true })).toEqual([expect.closeTo(0.4, 12), expect.closeTo(0.3, 12), expect.closeTo(0.3, 12)]);
  });

  it("weights older observations less beyond 25, as Optuna's default_weights", () => {
    expect(observationWeights(24)).toEqual(Array.from({ length: 24 }, () => 1));
    const w = observationWeights(30);
    expect(w).toHaveLength(30);
    expect(w[0]).toBeCloseTo(1 / 30, 12);
    expect(w[4]).toBeCloseTo(1, 12);
    expect(w.slice(5)).toEqual(Array.from({ length: 25 }, () => 1));
  });
});
