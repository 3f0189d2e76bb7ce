/**
 * Special functions behind the drift p-values: the Kolmogorov distribution
 * and the chi-square survival function. No dependencies; written after
 * Numerical Recipes (Press, Teukolsky, Vetterling, Flannery).
 */

/** Below this λ the alternating series cancels badly, and Q_KS(λ) = 1 to within 1e-12 anyway. */
const KS_SMALL_LAMBDA = 0.2;
/** Relative size at which a series or continued-fraction term no longer changes the sum. */
const EPS = 1e-16;
/** Keeps the Lentz continued fraction away from division by zero (NR's FPMIN). */
const TINY = 1e-300;

/**
 * Kolmogorov survival function Q_KS(λ) = 2 Σ_{k≥1} (−1)^(k−1) exp(−2k²λ²),
 * the limiting distribution of √n·D (Numerical Recipes 2nd ed. §14.3,
 * `probks`). For λ < 0.2 it returns 1: the series converges too slowly there
 * to be worth summing, and the true value differs from 1 by less than 1e-12.
 * The result is clamped to [0, 1].
 */
export function kolmogorovSurvival(lambda: number): number {
  if (Number.isNaN(lambda)) return Number.NaN;
  if (lambda < KS_SMALL_LAMBDA) return 1;
  const a2 = -2 * lambda * lambda;
  let sum = 0;
  let sign = 2;
  for (let k = 1; k <= 100; k++) {
    const term = sign * Math.exp(a2 * k * k);
    sum += term;
    if (Math.abs(term) <= EPS * Math.abs(sum)) break;
    sign = -sign;
  }
  return Math.min(1, Math.max(0, sum));
}

/**
 * Asymptotic p-value of the two-sample Kolmogorov–Smirnov statistic `d`
 * for samples of sizes `n1` and `n2`, with Stephens' small-sample
 * correction (Numerical Recipes 2nd ed. §14.3, `kstwo`):
 * nₑ = n1·n2/(n1+n2), λ = (√nₑ + 0.12 + 0.11/√nₑ)·d, p = Q_KS(λ).
 * Returns NaN when either sample is empty (there is no test to run).
 */
export function ksPValue(d: number, n1: number, n2: number): number {
  if (!(n1 > 0 && n2 > 0)) return Number.NaN;
  const en = Math.sqrt((n1 * n2) / (n1 + n2));
  return kolmogorovSurvival((en + 0.12 + 0.11 / en) * d);
}

/**
 * Lanczos coefficients for g = 671/128, n = 14 (Numerical Recipes 3rd ed. §6.1, `gammln`), written as
 * the doubles that NR's 18-digit literals round to.
 */
const LANCZOS = [
  57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202, 3.399464998481189e-5,
  4.652362892704858e-5, -9.837447530487956e-5, 1.580887032249125e-4, -2.1026444172410488e-4, 2.1743961811521265e-4,
  -1.643181065367639e-4, 8.441822398385275e-5, -2.6190838401581408e-5, 3.6899182659531625e-6,
] as const;

/**
 * ln Γ(x) for x > 0 by the Lanczos approximation with the coefficients of
 * Numerical Recipes 3rd ed. §6.1 (`gammln`), accurate to about 1e-15
 * relative. Returns NaN for x ≤ 0.
 */
export function logGamma(x: number): number {
  if (!(x > 0)) return Number.NaN;
  let y = x;
  const t = x + 671 / 128;
  const head = (x + 0.5) * Math.log(t) - t;
  let series = 0.9999999999999971;
  for (const c of LANCZOS) series += c / ++y;
  return head + Math.log((2.5066282746310007 * series) / x);
}

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x)/Γ(a): the series
 * for P = 1 − Q when x < a + 1, the modified Lentz continued fraction for Q
 * otherwise (Numerical Recipes 2nd ed. §6.2, `gser` and `gcf`).
 */
function upperRegularizedGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  if (!Number.isFinite(x)) return 0;
  const logPrefactor = -x + a * Math.log(x) - logGamma(a);
  // Both expansions need O(√a) terms near x ≈ a; this bound is far beyond that for any dof we see.
  const maxIterations = 1000 + 10 * Math.ceil(Math.sqrt(a));
  if (x < a + 1) {
    let ap = a;
    let term = 1 / a;
    let sum = term;
    for (let n = 0; n < maxIterations; n++) {
      ap += 1;
      term *= x / ap;
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return Math.max(0, 1 - sum * Math.exp(logPrefactor));
  }
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= maxIterations; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.min(1, Math.exp(logPrefactor) * h);
}

/**
 * Survival function of the chi-square distribution, P(X ≥ statistic) for
 * X ~ χ²(dof): Q(dof/2, statistic/2), the regularized upper incomplete gamma
 * (Numerical Recipes 2nd ed. §6.2, `gammq`), accurate to about 1e-10
 * relative. With dof ≤ 0 the distribution is a point mass at 0, so the
 * p-value is 1 for a statistic ≤ 0 and 0 above it.
 */
export function chiSquarePValue(statistic: number, dof: number): number {
  if (Number.isNaN(statistic) || Number.isNaN(dof)) return Number.NaN;
  if (statistic <= 0) return 1;
  if (dof <= 0) return 0;
  return upperRegularizedGamma(dof / 2, statistic / 2);
}
