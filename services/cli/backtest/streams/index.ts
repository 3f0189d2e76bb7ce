/** Labeled synthetic streams for backtesting retraining policies; deterministic by seed. */
import { ValidationError } from '../../../common/index.js';
import { hyperplaneStream } from './hyperplane.js';
import type { HyperplaneOptions } from './hyperplane.js';
import { SEA_THRESHOLDS, defaultGradualWidth, seaStream } from './sea.js';
import type { SeaOptions } from './sea.js';
import { covariateShiftStream, stationaryStream } from './stationary.js';
import type { ControlStreamOptions } from './stationary.js';
import { DEFAULT_RECORDS } from './types.js';
import type { LabeledStream } from './types.js';

export type { LabeledRecord, LabeledStream, BaseStreamOptions } from './types.js';
export { POSITIVE_LABEL, NEGATIVE_LABEL, DEFAULT_RECORDS, DEFAULT_INTERVAL_MS, DEFAULT_START_MS } from './types.js';
export { createStreamRandom } from './random.js';
export type { StreamRandom } from './random.js';
export { seaStream, seaLabel, defaultGradualWidth, SEA_THRESHOLDS } from './sea.js';
export type { SeaOptions } from './sea.js';
export { hyperplaneStream } from './hyperplane.js';
export type { HyperplaneOptions } from './hyperplane.js';
export { stationaryStream, covariateShiftStream, controlConceptLabel, CONTROL_WEIGHTS, CONTROL_SEGMENT_OFFSETS } from './stationary.js';
export type { ControlStreamOptions } from './stationary.js';

export interface StreamOptionsByName {
  sea: SeaOptions;
  /** As 'sea', with `gradualWidth` defaulting to a tenth of a concept's block (1,000 records at 40k records and 4 concepts). */
  'sea-gradual': SeaOptions;
  hyperplane: HyperplaneOptions;
  stationary: ControlStreamOptions;
  'covariate-shift': ControlStreamOptions;
}

export type StreamName = keyof StreamOptionsByName;

export const STREAM_NAMES: readonly StreamName[] = Object.freeze(['sea', 'sea-gradual', 'hyperplane', 'stationary', 'covariate-shift']);

/** Builds a stream by name, for CLIs that take the name as a string; unknown names throw a ValidationError listing the choices. */
export function streamByName<N extends StreamName>(name: N, options: StreamOptionsByName[N]): LabeledStream {
  const build: { [K in StreamName]: (o: StreamOptionsByName[K]) => LabeledStream } = {
    sea: (o) => seaStream({ ...o, gradualWidth: o.gradualWidth ?? 0 }),
    'sea-gradual': (o) =>
      seaStream({ ...o, gradualWidth: o.gradualWidth ?? defaultGradualWidth(o.records ?? DEFAULT_RECORDS, (o.concepts ?? SEA_THRESHOLDS).length) }),
    hyperplane: hyperplaneStream,
    stationary: stationaryStream,
    'covariate-shift': covariateShiftStream,
  };
  if (!Object.hasOwn(build, name)) throw new ValidationError('name', `unknown stream "${String(name)}": use one of ${STREAM_NAMES.join(', ')}`);
  return build[name](options);
}
