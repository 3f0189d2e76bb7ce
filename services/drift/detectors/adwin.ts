/**
 * ADWIN (Bifet & Gavaldà 2007), ported from River 0.23 (main branch):
 * `rust_src/adwin.rs`, River's Rust port of `river/drift/adwin_c.pyx`, wrapped
 * as in `river/drift/adwin.py`. The arithmetic keeps River's order of
 * operations so that detections land on the same index as River's.
 */
import { ConfigError } from '../../common/errors.js';
import type { AdwinDetector, AdwinOptions } from './types.js';

/** River's defaults for `drift.ADWIN`. */
export const ADWIN_DEFAULTS: Readonly<Required<AdwinOptions>> = Object.freeze({ delta: 0.002, clock: 32, maxBuckets: 5, minWindowLength: 5, gracePeriod: 10 });

type AdwinSettings = Readonly<Required<AdwinOptions>>;

/**
 * One row of the exponential histogram: buckets of 2^row values each, oldest
 * first, with their totals and variances (sums of squared deviations, as all
 * of River's variances here). The slot past maxBuckets holds an overflow
 * until the two oldest buckets are merged into one of the next row.
 */
interface BucketRow {
  count: number;
  readonly totals: Float64Array;
  readonly variances: Float64Array;
}

/** rows[i] holds buckets of 2^i values, so the last row holds the oldest data. */
interface AdaptiveWindow {
  readonly rows: BucketRow[];
  width: number;
  total: number;
  variance: number;
  tick: number;
}

/** Validates once, fills in River's defaults and freezes; a bad option throws ConfigError naming it. */
function resolveAdwinOptions(options: AdwinOptions = {}): AdwinSettings {
  const d = ADWIN_DEFAULTS;
  const { delta = d.delta, clock = d.clock, maxBuckets = d.maxBuckets, minWindowLength = d.minWindowLength, gracePeriod = d.gracePeriod } = options;
  const s = { delta, clock, maxBuckets, minWindowLength, gracePeriod };
  if (!(delta > 0 && delta < 1)) throw new ConfigError('adwin.delta', `must be a number in (0, 1); got ${delta}`);
  for (const [key, min] of [['clock', 1], ['maxBuckets', 1], ['minWindowLength', 1], ['gracePeriod', 0]] as const) {
    if (!Number.isInteger(s[key]) || s[key] < min) throw new ConfigError(`adwin.${key}`, `must be an integer ≥ ${min}; got ${s[key]}`);
  }
  return Object.freeze(s);
}

/** Creates an ADWIN detector; River resets it on the update after a detection, and so does this. */
export function createAdwin(options: AdwinOptions = {}): AdwinDetector {
  const settings = resolveAdwinOptions(options);
  let window = emptyWindow(settings.maxBuckets);
  let driftDetected = false;
  return {
    update(x: number): boolean {
      if (driftDetected) window = emptyWindow(settings.maxBuckets);
      insertValue(window, x, settings.maxBuckets);
      driftDetected = detectChange(window, settings);
      return driftDetected;
    },
    get driftDetected() { return driftDetected; },
    get warningDetected() { return false; },
    get width() { return window.width; },
    get estimation() { return window.width === 0 ? 0 : window.total / window.width; },
    reset(): void {
      window = emptyWindow(settings.maxBuckets);
      driftDetected = false;
    },
  };
}

function emptyRow(maxBuckets: number): BucketRow {
  return { count: 0, totals: new Float64Array(maxBuckets + 1), variances: new Float64Array(maxBuckets + 1) };
}

function emptyWindow(maxBuckets: number): AdaptiveWindow {
  return { rows: [emptyRow(maxBuckets)], width: 0, total: 0, variance: 0, tick: 0 };
}

function pushBucket(row: BucketRow, total: number, variance: number): void {
  row.totals[row.count] = total;
  row.variances[row.count] = variance;
  row.count += 1;
}

/** Drops the `n` oldest buckets of a row; the vacated slots are zeroed as River does. */
function dropOldest(row: BucketRow, n: number): void {
  row.totals.copyWithin(0, n, row.count).fill(0, row.count - n, row.count);
  row.variances.copyWithin(0, n, row.count).fill(0, row.count - n, row.count);
  row.count -= n;
}

function insertValue(w: AdaptiveWindow, x: number, maxBuckets: number): void {
  pushBucket(w.rows[0]!, x, 0);
  w.width += 1;
  if (w.width > 1) {
    const d = x - w.total / (w.width - 1);
    w.variance += ((w.width - 1) * d * d) / w.width;
  }
  w.total += x;
  compressRows(w, maxBuckets);
}

/** A row that overflows merges its two oldest buckets into one bucket of the next row, cascading up. */
function compressRows(w: AdaptiveWindow, maxBuckets: number): void {
  for (let i = 0; w.rows[i]!.count === maxBuckets + 1; i++) {
    const row = w.rows[i]!;
    const size = 2 ** i;
    const mean1 = row.totals[0]! / size;
    const mean2 = row.totals[1]! / size;
    const total12 = row.totals[0]! + row.totals[1]!;
    // Chan et al.'s pairwise variance merge; n1·n2/(n1+n2) = size/2 for equal halves.
    const variance12 = row.variances[0]! + row.variances[1]! + size * 0.5 * (mean1 - mean2) * (mean1 - mean2);
    if (i + 1 >= w.rows.length) w.rows.push(emptyRow(maxBuckets));
    const next = w.rows[i + 1]!;
    pushBucket(next, total12, variance12);
    dropOldest(row, 2);
    if (next.count <= maxBuckets) break;
  }
}

/** Removes the oldest bucket of the window, taking its values out of the totals (Babcock et al. 2003). */
function deleteOldestBucket(w: AdaptiveWindow): void {
  const last = w.rows.length - 1;
  const row = w.rows[last]!;
  const n = 2 ** last;
  const u = row.totals[0]!;
  const mean = u / n;
  w.width -= n;
  w.total -= u;
  const windowMean = w.total / w.width;
  w.variance -= row.variances[0]! + (n * w.width * (mean - windowMean) * (mean - windowMean)) / (n + w.width);
  dropOldest(row, 1);
  if (row.count === 0) w.rows.pop();
}

/**
 * Every `clock` values (once past the grace period) tries each bucket
 * boundary as a cut W0 | W1, oldest first; when the means differ by more
 * than epsilon it drops the oldest bucket and tries again, so one detection
 * may shrink the window by several buckets.
 */
function detectChange(w: AdaptiveWindow, s: AdwinSettings): boolean {
  let changeDetected = false;
  w.tick += 1;
  if (w.tick % s.clock !== 0 || w.width <= s.gracePeriod) return false;
  let reduceWidth = true;
  while (reduceWidth) {
    reduceWidth = false;
    let [n0, n1, u0, u1] = [0, w.width, 0, w.total];
    scan: for (let i = w.rows.length - 1; i >= 0; i--) {
      const row = w.rows[i]!;
      const size = 2 ** i;
      for (let k = 0; k < row.count; k++) {
        n0 += size;
        n1 -= size;
        u0 += row.totals[k]!;
        u1 -= row.totals[k]!;
        // The newest bucket: W1 would be empty.
        if (i === 0 && k === row.count - 1) break scan;
        const deltaMean = u0 / n0 - u1 / n1;
        if (n1 >= s.minWindowLength && n0 >= s.minWindowLength && cutHolds(w, s, n0, n1, deltaMean)) {
          reduceWidth = true;
          changeDetected = true;
          if (w.width > 0) {
            deleteOldestBucket(w);
            break scan;
          }
        }
      }
    }
  }
  return changeDetected;
}

/** River's epsilon_cut: a Bernstein-style bound with delta' = delta / ln(width) spread over the cuts. */
function cutHolds(w: AdaptiveWindow, s: AdwinSettings, n0: number, n1: number, deltaMean: number): boolean {
  const deltaPrime = Math.log((2 * Math.log(w.width)) / s.delta);
  // 1/m with m = 1 / (1/n0' + 1/n1'), each length shortened by minWindowLength - 1 as River does.
  const mRecip = 1 / (n0 - s.minWindowLength + 1) + 1 / (n1 - s.minWindowLength + 1);
  const epsilon = Math.sqrt(2 * mRecip * (w.variance / w.width) * deltaPrime) + (2 / 3) * deltaPrime * mRecip;
  return Math.abs(deltaMean) > epsilon;
}
