/**
 * Error-rate change detectors: ports of River's `river.drift` ADWIN, binary
 * DDM and Page-Hinkley, with River's defaults. They watch one stream of
 * numbers (for a model's error stream: 1 = wrong, 0 = right) and say when
 * its mean has moved.
 */

/** A streaming change detector. It holds the state of one stream: create one per stream. */
export interface ChangeDetector {
  /**
   * Feeds one value (for the error stream: 1 = wrong, 0 = right); returns
   * true when a change is detected at this value. Values must be finite.
   * As in River, the update after a detection first resets the detector,
   * so each change is reported once and the next one is judged afresh.
   */
  update(x: number): boolean;
  /** Whether the last update detected a change. */
  readonly driftDetected: boolean;
  /** Whether the last update left the detector in its warning zone; only DDM has one, the others always say false. */
  readonly warningDetected: boolean;
  /** Forgets everything seen so far, flags included: the detector behaves as new. */
  reset(): void;
}

export type DetectorName = 'adwin' | 'ddm' | 'page-hinkley';

/** ADWIN with its window exposed, for callers that want the current error-rate estimate. */
export interface AdwinDetector extends ChangeDetector {
  /** Number of values in the adaptive window. */
  readonly width: number;
  /** Mean of the values in the window (0 when empty): the current error rate. */
  readonly estimation: number;
}

/** Options of ADWIN (River `drift.ADWIN`). */
export interface AdwinOptions {
  /**
   * Significance of the cut test, in (0, 1); smaller means fewer false alarms and later detections.
   * @default 0.002
   */
  delta?: number;
  /**
   * Check for a cut every this many values (integer ≥ 1); 1 checks on every value.
   * @default 32
   */
  clock?: number;
  /**
   * Buckets of each size kept before the two oldest are merged (integer ≥ 1).
   * @default 5
   */
  maxBuckets?: number;
  /**
   * Smallest sub-window, in values, a cut may leave on either side (integer ≥ 1).
   * @default 5
   */
  minWindowLength?: number;
  /**
   * No cut is checked until the window holds more than this many values (integer ≥ 0).
   * @default 10
   */
  gracePeriod?: number;
}

/** Options of DDM (River `drift.binary.DDM`), for a stream of 0/1 errors. */
export interface DdmOptions {
  /**
   * Values seen before the detector may warn or detect (integer ≥ 0); it judges from value `warmStart + 1` on.
   * @default 30
   */
  warmStart?: number;
  /**
   * Warning when p + s > p_min + warningThreshold · s_min (> 0); 2 is about 95% confidence.
   * @default 2.0
   */
  warningThreshold?: number;
  /**
   * Drift when p + s > p_min + driftThreshold · s_min (≥ warningThreshold); 3 is about 99% confidence.
   * @default 3.0
   */
  driftThreshold?: number;
}

/** Which way Page-Hinkley watches the mean move. */
export type PageHinkleyMode = 'up' | 'down' | 'both';

/** Options of Page-Hinkley (River `drift.PageHinkley`). */
export interface PageHinkleyOptions {
  /**
   * Values seen before the detector may detect (integer ≥ 1).
   * @default 30
   */
  minInstances?: number;
  /**
   * Magnitude of change tolerated per value, in the stream's unit (≥ 0).
   * @default 0.005
   */
  delta?: number;
  /**
   * Cumulative deviation (lambda) that counts as a change, in the stream's unit × values (> 0).
   * @default 50
   */
  threshold?: number;
  /**
   * Forgetting factor applied to the cumulative sums each value, in (0, 1].
   * @default 0.9999
   */
  alpha?: number;
  /**
   * Detect increases of the mean ('up'), decreases ('down') or both. For an error stream, 'up' is the one that matters.
   * @default 'both'
   */
  mode?: PageHinkleyMode;
}

/** The options each detector takes, by name. */
export interface DetectorOptionsByName {
  adwin: AdwinOptions;
  ddm: DdmOptions;
  'page-hinkley': PageHinkleyOptions;
}
