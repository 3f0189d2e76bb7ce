/**
 * DDM, the Drift Detection Method (Gama et al. 2004), ported from River 0.23
 * `river/drift/binary/ddm.py`. It models the error stream as Bernoulli: at
 * value n the error rate is p (the running mean) with standard deviation
 * s = sqrt(p(1 - p)/n), and it remembers the point where p + s was lowest.
 */
import { ConfigError } from '../../common/errors.js';
import type { ChangeDetector, DdmOptions } from './types.js';

/** River's defaults for `drift.binary.DDM`. */
export const DDM_DEFAULTS: Readonly<Required<DdmOptions>> = Object.freeze({ warmStart: 30, warningThreshold: 2.0, driftThreshold: 3.0 });

type DdmSettings = Readonly<Required<DdmOptions>>;

/** Validates once, fills in River's defaults and freezes; a bad option throws ConfigError naming it. */
function resolveDdmOptions(options: DdmOptions = {}): DdmSettings {
  const d = DDM_DEFAULTS;
  const { warmStart = d.warmStart, warningThreshold = d.warningThreshold, driftThreshold = d.driftThreshold } = options;
  if (!Number.isInteger(warmStart) || warmStart < 0) throw new ConfigError('ddm.warmStart', `must be an integer ≥ 0; got ${warmStart}`);
  if (!(warningThreshold > 0 && Number.isFinite(warningThreshold))) {
    throw new ConfigError('ddm.warningThreshold', `must be a finite number > 0; got ${warningThreshold}`);
  }
  // River does not check this, but a drift threshold below the warning one would hide every warning.
  if (!(driftThreshold >= warningThreshold && Number.isFinite(driftThreshold))) {
    throw new ConfigError('ddm.driftThreshold', `must be a finite number ≥ warningThreshold (${warningThreshold}); got ${driftThreshold}`);
  }
  return Object.freeze({ warmStart, warningThreshold, driftThreshold });
}

/**
 * Creates a DDM detector for a 0/1 error stream (1 = wrong). Like River it
 * resets itself on the update after a drift, and a warning clears as soon as
 * p + s falls back under the warning level.
 */
export function createDdm(options: DdmOptions = {}): ChangeDetector {
  const settings = resolveDdmOptions(options);
  let n = 0;
  let p = 0;
  let pMin = Infinity;
  let sMin = Infinity;
  let psMin = Infinity;
  let driftDetected = false;
  let warningDetected = false;

  function reset(): void {
    [n, p, pMin, sMin, psMin] = [0, 0, Infinity, Infinity, Infinity];
    driftDetected = false;
    warningDetected = false;
  }

  return {
    update(x: number): boolean {
      if (driftDetected) reset();
      // River's stats.Mean, operation for operation: mean += (w / n) · (x − mean) with w = 1.
      n += 1;
      p += (1 / n) * (x - p);
      const s = Math.sqrt((p * (1 - p)) / n);
      if (n > settings.warmStart) {
        if (p + s <= psMin) {
          pMin = p;
          sMin = s;
          psMin = pMin + sMin;
        }
        warningDetected = p + s > pMin + settings.warningThreshold * sMin;
        if (p + s > pMin + settings.driftThreshold * sMin) {
          driftDetected = true;
          warningDetected = false;
        }
      }
      return driftDetected;
    },
    get driftDetected() { return driftDetected; },
    get warningDetected() { return warningDetected; },
    reset,
  };
}
