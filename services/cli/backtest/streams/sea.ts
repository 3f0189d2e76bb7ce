/**
 * SEA concepts (Street & Kim 2001, "A streaming ensemble algorithm (SEA) for
 * large-scale classification"), as River's `synth.SEA` draws them: three
 * features uniform in [0, 10], only the first two relevant. A record is
 * positive ('1') when f1 + f2 <= theta, the paper's convention; River calls
 * the other side True, which only swaps the label names. Noise flips the
 * label with probability `noise` (the paper used 10%).
 */

import { ValidationError } from '../../../common/index.js';
import { createStreamRandom } from './random.js';
import { checkRange, flipLabel, labelOf, resolveBaseOptions } from './types.js';
import type { BaseStreamOptions, LabeledRecord, LabeledStream } from './types.js';

/** The paper's four thresholds, one per concept, in the order the stream visits them. */
export const SEA_THRESHOLDS: readonly number[] = Object.freeze([8, 9, 7, 9.5]);

/**
 * The 'sea-gradual' default width: a tenth of a concept's block, which is
 * River's ConceptDriftStream default (1,000) at 40,000 records and four concepts.
 */
export function defaultGradualWidth(records: number, conceptCount: number): number {
  return Math.max(1, Math.floor(records / conceptCount / 10));
}

export interface SeaOptions extends BaseStreamOptions {
  /** Probability that a record's label is flipped. @default 0.1 */
  noise?: number;
  /** Thresholds theta, one concept each, visited in equal blocks. @default [8, 9, 7, 9.5] */
  concepts?: readonly number[];
  /**
   * Records over which each change is gradual; 0 for abrupt changes. The
   * probability that a record follows the new concept rises linearly from 0
   * to 1 across a window of this width centred on the change point (River's
   * ConceptDriftStream uses a sigmoid 1/(1+e^(-4(t-p)/w)), which has the same
   * slope at its centre; linear keeps the window's ends exact). @default 0
   */
  gradualWidth?: number;
}

/** Labels f1 + f2 against `theta` exactly as the paper does (positive when f1 + f2 <= theta). */
export function seaLabel(f1: number, f2: number, theta: number): string {
  return labelOf(f1 + f2 <= theta);
}

/**
 * A SEA stream whose concept moves through `concepts` in equal blocks;
 * `changePoints` are the first index of each new block (the centre of the
 * transition when it is gradual).
 */
export function seaStream(options: SeaOptions): LabeledStream {
  const base = resolveBaseOptions(options);
  const noise = checkRange('noise', options.noise ?? 0.1, 0, 1);
  const concepts = options.concepts ?? SEA_THRESHOLDS;
  if (concepts.length === 0) throw new ValidationError('concepts', 'must list at least one threshold');
  concepts.forEach((theta, i) => checkRange(`concepts/${i}`, theta, 0, 20));
  // Every concept needs at least one record, or change points would collide.
  checkRange('records', base.records, concepts.length, Number.MAX_SAFE_INTEGER, true);
  const changePoints = concepts.slice(1).map((_, k) => Math.floor(((k + 1) * base.records) / concepts.length));
  const bounds = [0, ...changePoints, base.records];
  // Wider windows would overlap the next change or run off the stream's start.
  const shortestBlock = Math.min(...bounds.slice(1).map((end, k) => end - bounds[k]!));
  const gradualWidth = checkRange('gradualWidth', options.gradualWidth ?? 0, 0, concepts.length > 1 ? shortestBlock : 0, true);

  const random = createStreamRandom(base.seed);
  const records: LabeledRecord[] = [];
  for (let i = 0; i < base.records; i++) {
    const [f1, f2, f3] = [random.uniform(0, 10), random.uniform(0, 10), random.uniform(0, 10)];
    const concept = conceptAt(i, changePoints, gradualWidth, random.uniform());
    const label = seaLabel(f1, f2, concepts[concept]!);
    const noisy = random.chance(noise);
    records.push({
      ts: base.startMs + i * base.intervalMs,
      numeric: { f1, f2, f3 },
      categorical: {},
      label: noisy ? flipLabel(label) : label,
    });
  }
  const kind = gradualWidth > 0 ? `gradual (linear over ${gradualWidth} records)` : 'abrupt';
  return {
    name: gradualWidth > 0 ? 'sea-gradual' : 'sea',
    description: `SEA concepts (Street & Kim 2001): '1' when f1 + f2 <= theta, theta ${concepts.join(' -> ')}, ${kind} changes, ${noise * 100}% label noise`,
    records,
    changePoints,
  };
}

/**
 * The concept record `index` follows. `draw` (uniform in [0, 1)) is taken for
 * every record, used or not, so the gradual width never shifts the features.
 */
function conceptAt(index: number, changePoints: readonly number[], width: number, draw: number): number {
  let concept = 0;
  for (let k = 0; k < changePoints.length; k++) {
    const cp = changePoints[k]!;
    const start = cp - width / 2;
    if (index < start) break;
    if (index >= start + width) concept = k + 1;
    else return draw < (index - start) / width ? k + 1 : k;
  }
  return concept;
}
