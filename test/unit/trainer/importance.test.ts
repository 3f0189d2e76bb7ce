import { describe, expect, it } from 'vitest';
import { permutationImportance, trainBuiltin, type TabularRow } from '../../../services/trainer/builtin/index.js';
import { seededRandom } from '../../support/random.js';

describe('permutation importance', () => {
  it('is the accuracy a feature\'s shuffle costs: large for the one the label follows, about 0 for noise and for a category the model never needed', async () => {
    const rand = seededRandom(5);
    const rows = (n: number): TabularRow[] => Array.from({ length: n }, () => {
      const x = rand() * 2 - 1;
      return { numeric: { x, noise: rand() }, categorical: { colour: rand() < 0.5 ? 'red' : 'blue' }, label: x > 0 ? 'UP' : 'DOWN' };
    });
    const { artifact } = await trainBuiltin({ algorithm: 'logistic', params: { epochs: 30, lr: 0.05 }, seed: 1, train: rows(2000), validation: rows(500) });
    const validation = rows(1000);
    const importance = permutationImportance(artifact, validation);
    expect(Object.keys(importance).sort()).toEqual(['colour', 'noise', 'x']);
    expect(importance.x!).toBeGreaterThan(0.3);
    expect(Math.abs(importance.noise!)).toBeLessThan(0.03);
    expect(Math.abs(importance.colour!)).toBeLessThan(0.03);
    // Deterministic: the same rows give the same figures.
    expect(permutationImportance(artifact, validation)).toEqual(importance);
    expect(permutationImportance(artifact, validation.slice(0, 1))).toEqual({});
  });
});
