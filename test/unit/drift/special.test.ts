import { describe, expect, it } from 'vitest';
import { chiSquaredDistributionTable, errorFunction } from 'simple-statistics';
import { chiSquarePValue, kolmogorovSurvival, ksPValue, logGamma } from '../../../services/drift/stats/special.js';

/** |actual − expected| ≤ rel·|expected|, with the numbers in the message when it fails. */
function expectRelative(actual: number, expected: number, rel: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(rel * Math.abs(expected));
}

describe('chiSquarePValue', () => {
  it('agrees with the printed critical values of the chi-square table for 1 to 30 degrees of freedom', () => {
    // The table prints each critical value x to two decimals, and a few
    // entries are off by one in that last digit (dof 6 at p = 0.1 prints
    // 10.65 for 10.6446). So the true critical value lies within 0.01 of
    // the printed one, and the table's p must lie between our p-values at
    // x + 0.01 and x − 0.01. That is within about 2e-3 of p where the
    // density is flat, and still fair where it is steep: at dof 1 the
    // printed 0 stands for anything below 0.005, so a fixed tolerance on p
    // would fail on the table's rounding rather than on our function.
    const table = chiSquaredDistributionTable as unknown as Record<number, Record<string, number>>;
    let checked = 0;
    for (let dof = 1; dof <= 30; dof++) {
      const row = table[dof];
      expect(row).toBeDefined();
      for (const [level, x] of Object.entries(row!)) {
        const p = Number(level);
        const atLarger = chiSquarePValue(x + 0.01, dof);
        const atSmaller = chiSquarePValue(Math.max(0, x - 0.01), dof);
        expect(p, `dof ${dof}, p ${level}, x ${x}`).toBeGreaterThanOrEqual(atLarger);
        expect(p, `dof ${dof}, p ${level}, x ${x}`).toBeLessThanOrEqual(atSmaller);
        checked += 1;
      }
    }
    expect(checked).toBe(30 * 11);
  });

  it('gives 0.05 at the exact 5% critical values (scipy chi2.isf) to 1e-10 relative', () => {
    expectRelative(chiSquarePValue(3.841458820694124, 1), 0.05, 1e-10);
    expectRelative(chiSquarePValue(18.307038053275146, 10), 0.05, 1e-10);
  });

  it('matches the closed form exp(-x/2) for two degrees of freedom to 1e-12 relative', () => {
    expectRelative(chiSquarePValue(2, 2), Math.exp(-1), 1e-12);
    for (let x = 1e-6; x < 1500; x *= 1.37) expectRelative(chiSquarePValue(x, 2), Math.exp(-x / 2), 1e-12);
  });

  it('matches 1 - erf(sqrt(x/2)) for one degree of freedom within the accuracy of errorFunction', () => {
    // simple-statistics' errorFunction is Numerical Recipes' erfcc: its
    // 1 − erf has a fractional error below 1.2e-7, and forming 1 − erf from
    // erf adds up to about 1e-16 absolute.
    for (let x = 1e-4; x < 60; x *= 1.21) {
      const expected = 1 - errorFunction(Math.sqrt(x / 2));
      const actual = chiSquarePValue(x, 1);
      expect(Math.abs(actual - expected), `x = ${x}`).toBeLessThanOrEqual(1.2e-7 * expected + 2e-16);
    }
  });

  it('is 1 at and below 0, 0 at infinity, NaN for NaN, and a point mass at 0 for no degrees of freedom', () => {
    expect(chiSquarePValue(0, 3)).toBe(1);
    expect(chiSquarePValue(-1, 3)).toBe(1);
    expect(chiSquarePValue(Infinity, 3)).toBe(0);
    expect(chiSquarePValue(Number.NaN, 3)).toBeNaN();
    expect(chiSquarePValue(0, 0)).toBe(1);
    expect(chiSquarePValue(0.5, 0)).toBe(0);
  });

  it('decreases as the statistic grows, for few and for many degrees of freedom', () => {
    for (const dof of [1, 3, 50, 2000]) {
      let previous = 1;
      for (let x = 0.01; x < 4 * dof + 100; x *= 1.1) {
        const p = chiSquarePValue(x, dof);
        expect(p).toBeLessThanOrEqual(previous);
        expect(p).toBeGreaterThanOrEqual(0);
        previous = p;
      }
    }
  });
});

describe('logGamma', () => {
  it('gives ln((n-1)!) at the integers and ln(sqrt(pi)) at one half', () => {
    let factorial = 1;
    for (let n = 1; n <= 30; n++) {
      if (n > 1) factorial *= n - 1;
      expect(logGamma(n)).toBeCloseTo(Math.log(factorial), 12);
    }
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 14);
    expect(logGamma(0)).toBeNaN();
  });
});

describe('kolmogorovSurvival', () => {
  it('gives the 5% and 1% tail probabilities at their tabulated critical values', () => {
    expect(Math.abs(kolmogorovSurvival(1.3580986) - 0.05)).toBeLessThan(1e-6);
    expect(Math.abs(kolmogorovSurvival(1.6276236) - 0.01)).toBeLessThan(1e-6);
  });

  it('is 1 for small lambda, where the series is not summed', () => {
    expect(kolmogorovSurvival(0.1)).toBe(1);
    expect(kolmogorovSurvival(0)).toBe(1);
    // Just above the cut the series agrees with the 1 returned below it.
    expect(kolmogorovSurvival(0.2)).toBeCloseTo(1, 11);
  });

  it('decreases monotonically towards 0', () => {
    let previous = kolmogorovSurvival(0);
    for (let lambda = 0.05; lambda <= 6; lambda += 0.05) {
      const q = kolmogorovSurvival(lambda);
      expect(q).toBeLessThanOrEqual(previous);
      if (lambda > 0.3) expect(q).toBeLessThan(previous);
      previous = q;
    }
    expect(previous).toBeGreaterThanOrEqual(0);
    expect(previous).toBeLessThan(1e-30);
  });
});

describe('ksPValue', () => {
  it('gives about 0.05 at the asymptotic 5% critical distance for large equal samples', () => {
    const n = 10_000;
    const d = 1.3581 * Math.sqrt(2 / n);
    expect(Math.abs(ksPValue(d, n, n) - 0.05)).toBeLessThan(0.01);
  });

  it('applies Stephens correction to the effective sample size, as Numerical Recipes kstwo does', () => {
    // n_e = 10·10/20 = 5, λ = (√5 + 0.12 + 0.11/√5)·0.5 = 1.20263…; scipy kstwobign.sf(λ) = 0.1108403374132281.
    expect(ksPValue(0.5, 10, 10)).toBeCloseTo(0.1108403374132281, 12);
    // n_e = 300·200/500 = 120, λ = 1.10845…; scipy kstwobign.sf(λ) = 0.1712208163870983.
    expect(ksPValue(0.1, 300, 200)).toBeCloseTo(0.1712208163870983, 12);
  });

  it('is 1 for identical samples and NaN when a sample is empty', () => {
    expect(ksPValue(0, 100, 200)).toBe(1);
    expect(ksPValue(0.3, 0, 200)).toBeNaN();
  });
});
