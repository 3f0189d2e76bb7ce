/**
 * Two controls for the backtest, both over one fixed linear concept, so any
 * retraining they trigger is wasted work:
 * - `stationaryStream`: nothing changes at all.
 * - `covariateShiftStream`: the inputs move (a steady drift plus one jump at
 *   the midpoint) but P(label | inputs) is exactly the same throughout. The
 *   means move along a direction parallel to the boundary, so the boundary
 *   runs through every region the inputs visit: a logistic regression trained
 *   on the first records stays right to the end, and retraining cannot help.
 */

import { createStreamRandom } from './random.js';
import type { StreamRandom } from './random.js';
import { checkRange, flipLabel, labelOf, resolveBaseOptions } from './types.js';
import type { BaseStreamOptions, LabeledRecord, LabeledStream } from './types.js';

/** The controls' concept: '1' when w·x + offset(segment) >= 0. x4 and x5 are irrelevant on purpose. */
export const CONTROL_WEIGHTS: Readonly<Record<string, number>> = Object.freeze({ x1: 1, x2: -0.8, x3: 0.6, x4: 0, x5: 0 });
export const CONTROL_SEGMENT_OFFSETS: Readonly<Record<string, number>> = Object.freeze({ a: 0.3, b: 0, c: -0.3 });

const SEGMENTS = Object.keys(CONTROL_SEGMENT_OFFSETS);
const FEATURES = Object.keys(CONTROL_WEIGHTS);

/**
 * Unit-free direction the covariate-shift means move along; w·d = 0, so
 * moving along it never changes a record's side of the boundary.
 */
const SHIFT_DIRECTION: Readonly<Record<string, number>> = Object.freeze({ x1: 0.8, x2: 1, x3: 0, x4: 0.5, x5: -0.5 });
/** How far along SHIFT_DIRECTION the means go by the end of the ramp, and the extra jump at the midpoint. */
const SHIFT_RAMP = 2;
const SHIFT_JUMP = 1.5;

export interface ControlStreamOptions extends BaseStreamOptions {
  /** Probability that a record's label is flipped. @default 0.1 */
  noise?: number;
}

/** The controls' noise-free label for a record's inputs. */
export function controlConceptLabel(numeric: Readonly<Record<string, number>>, categorical: Readonly<Record<string, string>>): string {
  let score = CONTROL_SEGMENT_OFFSETS[categorical.segment ?? ''] ?? 0;
  for (const name of FEATURES) score += CONTROL_WEIGHTS[name]! * (numeric[name] ?? 0);
  return labelOf(score >= 0);
}

/** A fixed concept over x1..x5 ~ N(0, 1) and a segment a/b/c (50/30/20%); no drift of any kind. */
export function stationaryStream(options: ControlStreamOptions): LabeledStream {
  return {
    name: 'stationary',
    description: 'stationary control: fixed linear concept over 5 normal features and a segment, no drift',
    records: controlRecords(options, () => ({ shift: 0, segmentShares: [0.5, 0.3, 0.2] })),
    changePoints: [],
  };
}

/**
 * The same concept while the inputs drift: means move along a direction
 * parallel to the boundary (ramp to 2 units plus a 1.5 jump at the midpoint)
 * and the segment mix turns from 50/30/20 to 20/30/50. The concept never
 * changes, so `changePoints` is empty; the jump at records/2 is an input change only.
 */
export function covariateShiftStream(options: ControlStreamOptions): LabeledStream {
  return {
    name: 'covariate-shift',
    description: 'covariate-shift control: inputs drift and jump at the midpoint, P(label | inputs) fixed',
    records: controlRecords(options, (progress) => ({
      shift: SHIFT_RAMP * progress + (progress >= 0.5 ? SHIFT_JUMP : 0),
      segmentShares: [0.5 - 0.3 * progress, 0.3, 0.2 + 0.3 * progress],
    })),
    changePoints: [],
  };
}

interface InputState {
  /** Distance moved along SHIFT_DIRECTION. */
  shift: number;
  segmentShares: readonly number[];
}

/** Draws the controls' records; `inputsAt(progress)` says where the inputs are, progress in [0, 1). */
function controlRecords(options: ControlStreamOptions, inputsAt: (progress: number) => InputState): LabeledRecord[] {
  const base = resolveBaseOptions(options);
  const noise = checkRange('noise', options.noise ?? 0.1, 0, 1);
  const random = createStreamRandom(base.seed);
  const records: LabeledRecord[] = [];
  for (let i = 0; i < base.records; i++) {
    const inputs = inputsAt(i / base.records);
    const { numeric, categorical } = drawInputs(random, inputs);
    const label = controlConceptLabel(numeric, categorical);
    const noisy = random.chance(noise);
    records.push({ ts: base.startMs + i * base.intervalMs, numeric, categorical, label: noisy ? flipLabel(label) : label });
  }
  return records;
}

function drawInputs(random: StreamRandom, inputs: InputState): Pick<LabeledRecord, 'numeric' | 'categorical'> {
  const numeric: Record<string, number> = {};
  for (const name of FEATURES) numeric[name] = random.normal(inputs.shift * SHIFT_DIRECTION[name]!, 1);
  return { numeric, categorical: { segment: SEGMENTS[random.weightedIndex(inputs.segmentShares)]! } };
}
