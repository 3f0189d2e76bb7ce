/**
 * Page-Hinkley test (Page 1954), ported from River 0.23
 * `river/drift/page_hinkley.py`: two faded cumulative sums of the deviation
 * from the running mean, one watching for increases and one for decreases,
 * each compared with its own extreme so far.
 */
import { ConfigError } from '../../common/errors.js';
import type { ChangeDetector, PageHinkleyMode, PageHinkleyOptions } from './types.js';

/** River's defaults for `drift.PageHinkley`. */
export const PAGE_HINKLEY_DEFAULTS: Readonly<Required<PageHinkleyOptions>> = Object.freeze({
  minInstances: 30,
  delta: 0.005,
  threshold: 50.0,
  alpha: 1 - 0.0001,
  mode: 'both',
});

const MODES: readonly PageHinkleyMode[] = ['up', 'down', 'both'];

type PageHinkleySettings = Readonly<Required<PageHinkleyOptions>>;

/** Validates once, fills in River's defaults and freezes; a bad option throws ConfigError naming it. */
function resolvePageHinkleyOptions(options: PageHinkleyOptions = {}): PageHinkleySettings {
  const d = PAGE_HINKLEY_DEFAULTS;
  const { minInstances = d.minInstances, delta = d.delta, threshold = d.threshold, alpha = d.alpha, mode = d.mode } = options;
  if (!Number.isInteger(minInstances) || minInstances < 1) throw new ConfigError('page-hinkley.minInstances', `must be an integer ≥ 1; got ${minInstances}`);
  if (!(delta >= 0 && Number.isFinite(delta))) throw new ConfigError('page-hinkley.delta', `must be a finite number ≥ 0; got ${delta}`);
  if (!(threshold > 0 && Number.isFinite(threshold))) throw new ConfigError('page-hinkley.threshold', `must be a finite number > 0; got ${threshold}`);
  if (!(alpha > 0 && alpha <= 1)) throw new ConfigError('page-hinkley.alpha', `must be a number in (0, 1]; got ${alpha}`);
  if (!MODES.includes(mode)) throw new ConfigError('page-hinkley.mode', `must be one of ${MODES.join(', ')}; got ${String(mode)}`);
  return Object.freeze({ minInstances, delta, threshold, alpha, mode });
}

/** Creates a Page-Hinkley detector; like River it resets itself on the update after a detection. */
export function createPageHinkley(options: PageHinkleyOptions = {}): ChangeDetector {
  const { minInstances, delta, threshold, alpha, mode } = resolvePageHinkleyOptions(options);
  let n = 0;
  let mean = 0;
  let sumIncrease = 0;
  let sumDecrease = 0;
  let minIncrease = Infinity;
  // River's starting value; the first update always replaces it (its deviation is 0, so the sum is delta ≥ 0).
  let maxDecrease = -1;
  let driftDetected = false;

  function reset(): void {
    [n, mean, sumIncrease, sumDecrease, minIncrease, maxDecrease] = [0, 0, 0, 0, Infinity, -1];
    driftDetected = false;
  }

  return {
    update(x: number): boolean {
      if (driftDetected) reset();
      n += 1;
      mean += (1 / n) * (x - mean);
      const dev = x - mean;
      sumIncrease = alpha * sumIncrease + dev - delta;
      sumDecrease = alpha * sumDecrease + dev + delta;
      if (sumIncrease < minIncrease) minIncrease = sumIncrease;
      if (sumDecrease > maxDecrease) maxDecrease = sumDecrease;
      // Before minInstances the flag keeps its value, which after a reset is false.
      if (n >= minInstances) {
        const increased = sumIncrease - minIncrease > threshold;
        const decreased = maxDecrease - sumDecrease > threshold;
        driftDetected = mode === 'up' ? increased : mode === 'down' ? decreased : increased || decreased;
      }
      return driftDetected;
    },
    get driftDetected() { return driftDetected; },
    get warningDetected() { return false; },
    reset,
  };
}
