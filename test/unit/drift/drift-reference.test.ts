import { describe, expect, it } from 'vitest';
import { chiSquarePValue } from '../../../services/drift/stats/special.js';
import {
  bucketCounts,
  categoricalStats,
  jsDistance,
  ksExact,
  ksGrid,
  numericProfile,
  performance,
  psi,
  quantileExact,
  quantileGrid,
  shares,
  wassersteinExact,
  wassersteinGrid,
  type ScoredRow,
} from '../../support/drift-reference.js';
import { seededRandom } from '../../support/random.js';

function sample(random: () => number, n: number, draw: (u: number) => number): number[] {
  return Array.from({ length: n }, () => draw(random()));
}

function distinctSorted(values: readonly number[]): number[] {
  return [...new Set(values)].sort((a, b) => a - b);
}

/** sup |F_W − F_R| evaluated at every sample point, with F(x) = share ≤ x. */
function ksBruteForce(r: readonly number[], w: readonly number[]): number {
  let d = 0;
  for (const x of [...r, ...w]) {
    const fr = r.filter((v) => v <= x).length / r.length;
    const fw = w.filter((v) => v <= x).length / w.length;
    d = Math.max(d, Math.abs(fw - fr));
  }
  return d;
}

describe('profile helpers', () => {
  it('picks the element at floor(level * n) like ClickHouse quantileExact', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(quantileExact(sorted, 0)).toBe(1);
    expect(quantileExact(sorted, 0.3)).toBe(4);
    expect(quantileExact(sorted, 0.95)).toBe(10);
    expect(quantileExact(sorted, 1)).toBe(10);
    expect(quantileExact([7], 0.5)).toBe(7);
  });

  it('builds the grid from distinct quantiles, from the minimum to the maximum', () => {
    expect(quantileGrid([5, 1, 1, 1, 1, 1, 2, 3, 9, 1], 10)).toEqual([1, 2, 3, 5, 9]);
    expect(quantileGrid([4, 4, 4], 20)).toEqual([4]);
  });

  it('reports the mean, the population standard deviation and the range', () => {
    expect(numericProfile([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, std: 2, min: 2, max: 9 });
  });
});

describe('bucketCounts', () => {
  const grid = [0, 1, 2, 5];
  const values = [-1, 0, 0.5, 1, 1.5, 2, 3, 5, 6, 5];

  it('puts values below, between, at the top of and above the grid in U, B_j, B_last and O', () => {
    // U: -1 | [0,1): 0, 0.5 | [1,2): 1, 1.5 | [2,5): 2, 3 | {5}: 5, 5 | O: 6
    expect(bucketCounts(values, grid, [0, 2]).fine).toEqual([1, 2, 2, 2, 2, 1]);
  });

  it('splits the coarse bins at the deciles, drops a decile at the minimum and closes the last bin', () => {
    // Decile 0 equals g_0 and is dropped: U | [0,2) | [2,5] | O
    expect(bucketCounts(values, grid, [0, 2]).coarse).toEqual([1, 4, 4, 1]);
    // A decile at g_last leaves a bin holding only g_last: U | [0,5) | [5,5] | O
    expect(bucketCounts(values, grid, [5]).coarse).toEqual([1, 6, 2, 1]);
  });

  it('handles a constant reference, whose grid is a single point', () => {
    expect(bucketCounts([3, 4, 4, 5], [4], [4])).toEqual({ fine: [1, 2, 1], coarse: [1, 2, 1] });
  });
});

describe('exact distances', () => {
  it('computes the KS statistic like a brute force over all sample points, ties included', () => {
    const random = seededRandom(1);
    for (let trial = 0; trial < 200; trial++) {
      const discrete = trial % 2 === 0;
      const draw = discrete ? (u: number) => Math.floor(u * 6) : (u: number) => u * 10;
      const r = sample(random, 1 + Math.floor(random() * 25), draw);
      const w = sample(random, 1 + Math.floor(random() * 25), (u) => draw(u) + (trial % 3));
      expect(ksExact(r, w)).toBeCloseTo(ksBruteForce(r, w), 14);
    }
  });

  it('computes W1 like the mean gap between sorted samples of equal size', () => {
    const random = seededRandom(2);
    for (let trial = 0; trial < 200; trial++) {
      const n = 1 + Math.floor(random() * 30);
      const draw = trial % 2 === 0 ? (u: number) => Math.floor(u * 5) : (u: number) => u * u * 10;
      const r = sample(random, n, draw).sort((a, b) => a - b);
      const w = sample(random, n, (u) => draw(u) + (trial % 4) * 0.5).sort((a, b) => a - b);
      let gaps = 0;
      for (let i = 0; i < n; i++) gaps += Math.abs(r[i]! - w[i]!);
      expect(wassersteinExact(r, w)).toBeCloseTo(gaps / n, 12);
    }
  });
});

describe('distances on the grid', () => {
  it('equal the exact ones when the grid holds every reference value and the window sits on grid points', () => {
    const random = seededRandom(3);
    for (let trial = 0; trial < 200; trial++) {
      const r = sample(random, 5 + Math.floor(random() * 40), (u) => Math.floor(u * 12) * 0.25);
      const grid = distinctSorted(r);
      const w = sample(random, 5 + Math.floor(random() * 40), (u) => grid[Math.floor(u * grid.length)]!);
      expect(ksGrid(r, w, grid)).toBeCloseTo(ksExact(r, w), 12);
      expect(wassersteinGrid(r, w, grid)).toBeCloseTo(wassersteinExact(r, w), 12);
    }
  });

  it('still equal the exact ones when window values fall outside the grid, since the tails are exact', () => {
    const random = seededRandom(4);
    for (let trial = 0; trial < 200; trial++) {
      const r = sample(random, 5 + Math.floor(random() * 40), (u) => Math.floor(u * 8));
      const grid = distinctSorted(r);
      const w = sample(random, 5 + Math.floor(random() * 40), (u) =>
        u < 0.2 ? grid[0]! - 10 * u : u > 0.8 ? grid[grid.length - 1]! + 10 * (u - 0.8) : grid[Math.floor(u * grid.length)]!,
      );
      expect(ksGrid(r, w, grid)).toBeCloseTo(ksExact(r, w), 12);
      expect(wassersteinGrid(r, w, grid)).toBeCloseTo(wassersteinExact(r, w), 12);
    }
  });

  it('never overstate the KS statistic on continuous data, where the grid is coarser than the samples', () => {
    // The grid evaluates |F_W − F_R| just below each grid point, which the
    // supremum over all x already includes.
    const random = seededRandom(5);
    for (let trial = 0; trial < 100; trial++) {
      const r = sample(random, 200, (u) => u * 100);
      const w = sample(random, 150, (u) => u * 100 + trial);
      const grid = quantileGrid(r, 20);
      expect(ksGrid(r, w, grid)).toBeLessThanOrEqual(ksExact(r, w) + 1e-12);
    }
  });
});

describe('psi and jsDistance', () => {
  it('are 0 for identical shares', () => {
    const p = [0.1, 0, 0.3, 0.6];
    expect(psi(p, p)).toBe(0);
    expect(jsDistance(p, p)).toBe(0);
  });

  it('clamps empty shares to eps in psi', () => {
    // Only the bin empty in the reference contributes: (0.5 − 1e-4)·ln(0.5/1e-4), twice over two such bins.
    expect(psi([0.5, 0.5, 0], [0, 0, 1])).toBeCloseTo(
      2 * (0.5 - 1e-4) * Math.log(0.5 / 1e-4) + (1e-4 - 1) * Math.log(1e-4 / 1),
      12,
    );
  });

  it('makes jsDistance symmetric, bounded by sqrt(ln 2), and reach the bound on disjoint supports', () => {
    const random = seededRandom(6);
    for (let trial = 0; trial < 100; trial++) {
      const p = shares(sample(random, 6, (u) => (u < 0.3 ? 0 : u)));
      const q = shares(sample(random, 6, (u) => (u < 0.3 ? 0 : u)));
      if (p.some(Number.isNaN) || q.some(Number.isNaN)) continue;
      expect(jsDistance(p, q)).toBeCloseTo(jsDistance(q, p), 15);
      expect(jsDistance(p, q)).toBeLessThanOrEqual(Math.sqrt(Math.LN2) + 1e-15);
    }
    expect(jsDistance([1, 0], [0, 1])).toBeCloseTo(Math.sqrt(Math.LN2), 15);
  });

  it('matches scipy.spatial.distance.jensenshannon on an example', () => {
    // jensenshannon([.15, 0, .45, .30, .10], [.25, 0, .35, .40, 0]) with scipy 1.17, base e.
    expect(jsDistance([0.15, 0, 0.45, 0.3, 0.1], [0.25, 0, 0.35, 0.4, 0])).toBeCloseTo(0.218382722239193, 14);
  });
});

describe('categoricalStats', () => {
  it('computes the 2 x k Pearson statistic over the seen bins, the unseen bin included', () => {
    const reference = new Map([['red', 40], ['green', 35], ['blue', 25], ['gray', 0]]);
    const window = new Map([['red', 30], ['green', 45], ['blue', 15], ['purple', 10]]);
    // Bins blue, gray, green, red, unseen(purple). Both rows hold 100, so
    // each expected count is half the column total; gray (total 0) drops out.
    //   blue   25 | 15, E = 20: 25/20 + 25/20 = 2.5
    //   green  35 | 45, E = 40: 25/40 + 25/40 = 1.25
    //   red    40 | 30, E = 35: 25/35 + 25/35 = 10/7
    //   unseen  0 | 10, E = 5:  25/5  + 25/5  = 10
    // chi2 = 15.178571…, dof = 4 − 1 = 3 (scipy chi2_contingency agrees, p = 0.0016702344579559378).
    const chi2 = 2.5 + 1.25 + 10 / 7 + 10;
    const stats = categoricalStats(reference, window);
    expect(stats.chi2).toBeCloseTo(chi2, 12);
    expect(stats.dof).toBe(3);
    expect(stats.pValue).toBeCloseTo(chiSquarePValue(chi2, 3), 15);
    expect(stats.pValue).toBeCloseTo(0.0016702344579559378, 12);
    expect(stats.unseenRate).toBe(0.1);
    // Window shares .15 0 .45 .30 .10 against reference .25 0 .35 .40 0, empty shares clamped to 1e-4.
    const eps = 1e-4;
    const expectedPsi =
      (0.15 - 0.25) * Math.log(0.15 / 0.25) +
      (0.45 - 0.35) * Math.log(0.45 / 0.35) +
      (0.3 - 0.4) * Math.log(0.3 / 0.4) +
      (0.1 - eps) * Math.log(0.1 / eps);
    expect(stats.psi).toBeCloseTo(expectedPsi, 12);
    expect(stats.js).toBeCloseTo(0.218382722239193, 14);
  });

  it('accepts plain records as well as maps', () => {
    const fromMaps = categoricalStats(new Map([['a', 3], ['b', 7]]), new Map([['a', 5], ['c', 1]]));
    expect(categoricalStats({ a: 3, b: 7 }, { a: 5, c: 1 })).toEqual(fromMaps);
  });

  it('gives no evidence of drift when only one bin was ever seen', () => {
    const stats = categoricalStats({ a: 10 }, { a: 4 });
    expect(stats).toMatchObject({ chi2: 0, dof: 0, pValue: 1, unseenRate: 0, psi: 0, js: 0 });
  });
});

describe('performance', () => {
  it('computes accuracy and log loss on a hand example, skipping rows without a score for log loss', () => {
    const rows: ScoredRow[] = [
      { label: 'fraud', prediction: 'fraud', score: 0.9 },
      { label: 'ok', prediction: 'ok', score: 0.2 },
      { label: 'fraud', prediction: 'ok', score: 0.4 },
      { label: 'ok', prediction: 'fraud', score: null },
    ];
    const result = performance(rows, 'fraud');
    expect(result.accuracy).toBe(0.5);
    expect(result.errorRate).toBe(0.5);
    expect(result.logLoss).toBeCloseTo(-(Math.log(0.9) + Math.log(0.8) + Math.log(0.4)) / 3, 14);
    // Positives 0.9 and 0.4 against the negative 0.2: both pairs ordered.
    expect(result.auc).toBe(1);
  });

  it('clips scores of exactly 0 and 1 so the log loss stays finite', () => {
    const result = performance([{ label: 'y', prediction: 'n', score: 0 }, { label: 'n', prediction: 'y', score: 1 }], 'y');
    // 1 − (1 − 1e-15) is 1.11e-15 in doubles, so the second row costs slightly less than the first.
    expect(result.logLoss).toBeCloseTo((-Math.log(1e-15) - Math.log(1 - (1 - 1e-15))) / 2, 12);
    expect(result.logLoss).toBeGreaterThan(34);
    expect(result.auc).toBe(0);
  });

  it('computes the AUC like counting positive-negative pairs, ties as one half', () => {
    const random = seededRandom(7);
    for (let trial = 0; trial < 100; trial++) {
      const rows: ScoredRow[] = Array.from({ length: 2 + Math.floor(random() * 60) }, () => {
        const label = random() < 0.4 ? 'pos' : 'neg';
        // Scores rounded to one decimal make ties common.
        const score = Math.round((label === 'pos' ? 0.2 : 0) * 10 + random() * 8) / 10;
        return { label, prediction: score > 0.5 ? 'pos' : 'neg', score };
      });
      const positives = rows.filter((row) => row.label === 'pos');
      const negatives = rows.filter((row) => row.label !== 'pos');
      let wins = 0;
      for (const p of positives) for (const n of negatives) wins += p.score! > n.score! ? 1 : p.score === n.score ? 0.5 : 0;
      const auc = performance(rows, 'pos').auc;
      if (positives.length === 0 || negatives.length === 0) expect(auc).toBeNaN();
      else expect(auc).toBeCloseTo(wins / (positives.length * negatives.length), 12);
    }
  });

  it('returns NaN for the AUC when one class is absent', () => {
    expect(performance([{ label: 'a', prediction: 'a', score: 0.3 }], 'a').auc).toBeNaN();
  });
});
