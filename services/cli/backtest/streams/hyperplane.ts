/**
 * Rotating hyperplane (Hulten, Spencer & Domingos 2001, "Mining
 * time-changing data streams"), as River's `synth.Hyperplane` generates it:
 * features uniform in [0, 1), initial weights uniform in [0, 1), and a record
 * is positive ('1') when sum(w_i x_i) >= sum(w_i) / 2. After each record the
 * first `driftFeatures` weights move by magChange * direction, and each
 * direction reverses with probability `sigma`. The concept drifts a little on
 * every record, so there is no change point to list.
 *
 * One departure from River, so the options mean what they say: River tests
 * noise and reversal as `0.01 + u <= p`, one point below the stated
 * probability; here both are `u < p`. The order of draws follows River's.
 */

import { createStreamRandom } from './random.js';
import { checkRange, flipLabel, labelOf, resolveBaseOptions } from './types.js';
import type { BaseStreamOptions, LabeledRecord, LabeledStream } from './types.js';

export interface HyperplaneOptions extends BaseStreamOptions {
  /** Number of features, named x1..xN. @default 10 */
  features?: number;
  /** How many of the first features have drifting weights. @default 2 */
  driftFeatures?: number;
  /** Change of each drifting weight per record (River's mag_change). @default 0.001 */
  magChange?: number;
  /** Probability that a drifting weight reverses direction after a record. @default 0.1 */
  sigma?: number;
  /** Probability that a record's label is flipped (River's noise_percentage). @default 0.05 */
  noise?: number;
}

/** A rotating-hyperplane stream: gradual, continuous concept drift; `changePoints` is empty. */
export function hyperplaneStream(options: HyperplaneOptions): LabeledStream {
  const base = resolveBaseOptions(options);
  const features = checkRange('features', options.features ?? 10, 2, 1_000, true);
  const driftFeatures = checkRange('driftFeatures', options.driftFeatures ?? 2, 0, features, true);
  const magChange = checkRange('magChange', options.magChange ?? 0.001, 0, 1);
  const sigma = checkRange('sigma', options.sigma ?? 0.1, 0, 1);
  const noise = checkRange('noise', options.noise ?? 0.05, 0, 1);

  const random = createStreamRandom(base.seed);
  const weights = Array.from({ length: features }, () => random.uniform());
  const directions: number[] = weights.map((_, i) => (i < driftFeatures ? 1 : 0));
  const names = weights.map((_, i) => `x${i + 1}`);
  const records: LabeledRecord[] = [];
  for (let r = 0; r < base.records; r++) {
    const numeric: Record<string, number> = {};
    let weighted = 0;
    let weightSum = 0;
    for (let i = 0; i < features; i++) {
      const x = random.uniform();
      numeric[names[i]!] = x;
      weighted += weights[i]! * x;
      weightSum += weights[i]!;
    }
    const label = labelOf(weighted >= weightSum / 2);
    const noisy = random.chance(noise);
    records.push({ ts: base.startMs + r * base.intervalMs, numeric, categorical: {}, label: noisy ? flipLabel(label) : label });
    for (let i = 0; i < driftFeatures; i++) {
      weights[i]! += directions[i]! * magChange;
      if (random.chance(sigma)) directions[i] = -directions[i]!;
    }
  }
  return {
    name: 'hyperplane',
    description: `rotating hyperplane (Hulten et al. 2001): ${features} features, ${driftFeatures} drifting by ${magChange} per record, reversal probability ${sigma}, ${noise * 100}% label noise`,
    records,
    changePoints: [],
  };
}
