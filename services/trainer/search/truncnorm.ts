/**
 * The truncated standard normal the Parzen estimators are made of: log
 * probability mass of an interval, log density, and inverse-CDF sampling,
 * computed in log space so that kernels far from a bound (TPE's magic clip
 * allows |a|, |b| up to ~100 standard deviations) neither underflow nor lose
 * precision. The case split follows Optuna's optuna/samplers/_tpe/_truncnorm.py.
 */

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);
const LOG_SQRT_PI = 0.5 * Math.log(Math.PI);
const SQRT1_2 = Math.SQRT1_2;
/** Below this, erfc from 1 - erf(series); above, the continued fraction (no cancellation, no underflow). */
const ERFC_SERIES_LIMIT = 3;

/** erf(x) = 2/sqrt(pi) e^{-x^2} sum 2^n x^{2n+1} / (1*3*...*(2n+1)): all terms positive, for 0 <= x < 3. */
function erfSeries(x: number): number {
  const x2 = 2 * x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    term *= x2 / (2 * n + 1);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
}

/**
 * log(erfc(x)) - (-x^2) for x >= 3, i.e. -log(sqrt(pi) * f) with
 * f = x + (1/2)/(x + 1/(x + (3/2)/(x + ...))) by the modified Lentz method.
 */
function logErfcScaledCf(x: number): number {
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const an = n / 2;
    d = x + an * d;
    d = d === 0 ? tiny : d;
    c = x + an / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return -LOG_SQRT_PI - Math.log(f);
}

/** Complementary error function, accurate to ~1e-13 relative (also in the tail). */
export function erfc(x: number): number {
  if (x < 0) return 2 - erfc(-x);
  if (x < ERFC_SERIES_LIMIT) return 1 - erfSeries(x);
  return Math.exp(-x * x + logErfcScaledCf(x));
}

function logErfc(x: number): number {
  if (x < ERFC_SERIES_LIMIT) return Math.log(erfc(x));
  return -x * x + logErfcScaledCf(x);
}

/** Standard normal CDF. */
export function ndtr(a: number): number {
  return a < 0 ? 0.5 * erfc(-a * SQRT1_2) : 1 - 0.5 * erfc(a * SQRT1_2);
}

/** log of the standard normal CDF, finite down to a ~ -1e150. */
export function logNdtr(a: number): number {
  if (a < 0) return Math.log(0.5) + logErfc(-a * SQRT1_2);
  return Math.log1p(-0.5 * erfc(a * SQRT1_2));
}

function logNormPdf(z: number): number {
  return -0.5 * z * z - LOG_SQRT_2PI;
}

/** log(e^p - e^q) for p >= q. */
function logDiff(p: number, q: number): number {
  return p + Math.log1p(-Math.exp(q - p));
}

function logAddExp(p: number, q: number): number {
  const m = Math.max(p, q);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(Math.exp(p - m) + Math.exp(q - m));
}

/** log P(a <= Z <= b) for a standard normal Z, a < b. */
export function logGaussMass(a: number, b: number): number {
  if (b <= 0) return logDiff(logNdtr(b), logNdtr(a));
  if (a > 0) return logDiff(logNdtr(-a), logNdtr(-b));
  return Math.log1p(-ndtr(a) - ndtr(-b));
}

/** x with logNdtr(x) = y (y <= 0), by Newton's method on the concave log CDF. */
function ndtriExp(y: number): number {
  // Near 1 the CDF is flat; solve for the mirrored point in the lower tail instead.
  const flipped = y > -1e-2;
  const z = flipped ? Math.log(-Math.expm1(y)) : y;
  // Start from the tail asymptote for small z, from the logistic approximation of the CDF otherwise.
  let x = z < -5 ? -Math.sqrt(-2 * (z + LOG_SQRT_2PI)) : -(Math.sqrt(3) / Math.PI) * Math.log(Math.expm1(-z));
  for (let i = 0; i < 100; i++) {
    const logCdf = logNdtr(x);
    const dx = (logCdf - z) * Math.exp(logCdf - logNormPdf(x));
    x -= dx;
    if (!(Math.abs(dx) > 1e-12 + 1e-10 * Math.abs(x))) break;
  }
  return flipped ? -x : x;
}

/**
 * The point c in [a, b] with P(a <= Z <= c) = q * P(a <= Z <= b): the inverse
 * CDF of the standard normal truncated to [a, b]. Mirrored when a >= 0 so the
 * work happens in the lower tail, where log CDFs keep their precision.
 */
export function truncNormPpf(q: number, a: number, b: number): number {
  if (q <= 0) return a;
  if (q >= 1) return b;
  const logMass = logGaussMass(a, b);
  const c = a < 0 ? ndtriExp(logAddExp(logNdtr(a), Math.log(q) + logMass)) : -ndtriExp(logAddExp(logNdtr(-b), Math.log1p(-q) + logMass));
  return Math.min(b, Math.max(a, c));
}

/** log density of the standard normal truncated to [a, b] at z; `logMass` is logGaussMass(a, b). */
export function truncNormLogPdf(z: number, a: number, b: number, logMass: number): number {
  if (z < a || z > b) return -Infinity;
  return logNormPdf(z) - logMass;
}
