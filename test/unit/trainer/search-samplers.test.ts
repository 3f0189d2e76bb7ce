import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import {
  createGridSampler,
  createRandomSampler,
  createRng,
  createTpeSampler,
  enumerateGrid,
  parseSearchSpace,
  runStudy,
  type Params,
  type Sampler,
  type SearchSpace,
} from '../../../services/trainer/search/index.js';

function draw(sampler: Sampler, space: SearchSpace, n: number, seed = 1): Params[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, () => sampler.sample(space, [], rng, 'minimize'));
}

async function paramsOfStudy(sampler: () => Sampler, space: SearchSpace, seed: number, objective: (p: Params) => number): Promise<Params[]> {
  const result = await runStudy({ space, sampler: sampler(), direction: 'minimize', maxTrials: 30, parallelism: 1, seed, objective: async (t) => objective(t.params) });
  return result.trials.map((t) => t.params);
}

describe('grid sampler', () => {
  const space = parseSearchSpace({
    layers: { type: 'int', low: 1, high: 3 },
    act: { type: 'categorical', choices: ['relu', 'tanh'] },
    dropout: { type: 'float', low: 0, high: 0.5, gridPoints: 3 },
  });

  it('enumerates the exact cartesian product', () => {
    const grid = enumerateGrid(space);
    expect(grid).toHaveLength(18);
    expect(grid.slice(0, 3)).toEqual([
      { layers: 1, act: 'relu', dropout: 0 },
      { layers: 1, act: 'relu', dropout: 0.25 },
      { layers: 1, act: 'relu', dropout: 0.5 },
    ]);
    expect(new Set(grid.map((p) => JSON.stringify(p))).size).toBe(18);
  });

  it('runs every grid point exactly once and then stops', async () => {
    const result = await runStudy({ space, sampler: createGridSampler(), direction: 'minimize', maxTrials: 100, parallelism: 3, seed: 5, objective: async () => 0 });
    expect(result.stopReason).toBe('exhausted');
    expect(result.trials).toHaveLength(18);
    const seen = result.trials.map((t) => JSON.stringify(t.params)).sort();
    expect(seen).toEqual(enumerateGrid(space).map((p) => JSON.stringify(p)).sort());
  });

  it('spaces a log-uniform grid geometrically', () => {
    const values = enumerateGrid(parseSearchSpace({ lr: { type: 'logfloat', low: 1e-4, high: 1, gridPoints: 5 } })).map((p) => p.lr as number);
    expect(values.map((v) => Math.log10(v))).toEqual([-4, -3, -2, -1, 0].map((e) => expect.closeTo(e, 12)));
  });

  it('needs gridPoints for a continuous parameter and says so', async () => {
    const continuous = parseSearchSpace({ lr: { type: 'float', low: 0, high: 1 } });
    await expect(runStudy({ space: continuous, sampler: createGridSampler(), direction: 'minimize', maxTrials: 5, seed: 1, objective: async () => 0 })).rejects.toMatchObject({
      constructor: ValidationError,
      path: '/lr/gridPoints',
    });
  });
});

describe('random sampler', () => {
  it('keeps floats within bounds and ints and stepped floats on their steps', () => {
    const space = parseSearchSpace({
      x: { type: 'float', low: -2, high: 3 },
      units: { type: 'int', low: 1, high: 10, step: 3 },
      dropout: { type: 'float', low: 0, high: 0.5, step: 0.125 },
      act: { type: 'categorical', choices: ['relu', 'tanh', 'gelu'] },
    });
    const samples = draw(createRandomSampler(), space, 4000);
    for (const p of samples) {
      expect(p.x).toBeGreaterThanOrEqual(-2);
      expect(p.x).toBeLessThanOrEqual(3);
    }
    expect(new Set(samples.map((p) => p.units))).toEqual(new Set([1, 4, 7, 10]));
    expect(new Set(samples.map((p) => p.dropout))).toEqual(new Set([0, 0.125, 0.25, 0.375, 0.5]));
    expect(new Set(samples.map((p) => p.act))).toEqual(new Set(['relu', 'tanh', 'gelu']));
    // Each of the 4 int values about a quarter of the time.
    for (const v of [1, 4, 7, 10]) expect(samples.filter((p) => p.units === v).length / samples.length).toBeCloseTo(0.25, 1);
  });

  it('draws log-uniform values whose median is the geometric mean of the bounds', () => {
    const space = parseSearchSpace({ lr: { type: 'logfloat', low: 1e-5, high: 1e-1 } });
    const values = draw(createRandomSampler(), space, 20_000, 7)
      .map((p) => p.lr as number)
      .sort((a, b) => a - b);
    expect(values[0]).toBeGreaterThanOrEqual(1e-5);
    expect(values[values.length - 1]).toBeLessThanOrEqual(1e-1);
    const median = values[values.length / 2]!;
    // Geometric mean 1e-3; a uniform draw on [1e-5, 1e-1] would put the median near 5e-2.
    expect(Math.abs(Math.log10(median) + 3)).toBeLessThan(0.05);
  });
});

describe('determinism', () => {
  const space = parseSearchSpace({
    x: { type: 'float', low: -5, high: 5 },
    n: { type: 'int', low: 1, high: 64 },
    lr: { type: 'logfloat', low: 1e-4, high: 1 },
    act: { type: 'categorical', choices: ['relu', 'tanh', 'gelu'] },
  });
  const objective = (p: Params): number => ((p.x as number) - 1) ** 2 + Math.abs(Math.log10(p.lr as number) + 2) + ((p.n as number) % 7) + (p.act === 'tanh' ? 0 : 1);

  it('gives the same params for the same seed with the random sampler', async () => {
    const a = await paramsOfStudy(createRandomSampler, space, 42, objective);
    const b = await paramsOfStudy(createRandomSampler, space, 42, objective);
    const c = await paramsOfStudy(createRandomSampler, space, 43, objective);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it('gives the same params for the same seed with the TPE sampler', async () => {
    const a = await paramsOfStudy(createTpeSampler, space, 42, objective);
    const b = await paramsOfStudy(createTpeSampler, space, 42, objective);
    const c = await paramsOfStudy(createTpeSampler, space, 43, objective);
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });
});
