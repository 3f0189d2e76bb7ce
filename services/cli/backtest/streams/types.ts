/**
 * The contract every backtest stream shares: the record shape, the options
 * all generators take (seed, length, clock) and their validation, so each
 * generator file holds only its concept.
 */

import { ValidationError } from '../../../common/index.js';

export interface LabeledRecord {
  ts: number;
  numeric: Record<string, number>;
  categorical: Record<string, string>;
  label: string;
}

export interface LabeledStream {
  name: string;
  description: string;
  records: LabeledRecord[];
  /** Indexes where the concept changes (known change points), empty when none. */
  changePoints: number[];
}

/** Labels are strings on the wire, like Elec2's UP/DOWN; the synthetic streams are binary. */
export const POSITIVE_LABEL = '1';
export const NEGATIVE_LABEL = '0';

export function labelOf(positive: boolean): string {
  return positive ? POSITIVE_LABEL : NEGATIVE_LABEL;
}

export function flipLabel(label: string): string {
  return label === POSITIVE_LABEL ? NEGATIVE_LABEL : POSITIVE_LABEL;
}

export const DEFAULT_RECORDS = 40_000;
/** Half-hourly, like Elec2, so windows sized for the demo mean the same here. */
export const DEFAULT_INTERVAL_MS = 30 * 60 * 1000;
export const DEFAULT_START_MS = Date.UTC(2020, 0, 1);

/** Options every stream takes. */
export interface BaseStreamOptions {
  /** PRNG seed (an integer): the same seed gives the same stream, bit for bit. */
  seed: number;
  /** Number of records. @default 40_000 */
  records?: number;
  /** Timestamp of the first record, epoch ms. @default Date.UTC(2020, 0, 1) */
  startMs?: number;
  /** Spacing between records. @default 1_800_000 (30 minutes) */
  intervalMs?: number;
}

export interface ResolvedBaseOptions {
  seed: number;
  records: number;
  startMs: number;
  intervalMs: number;
}

/** Validates the shared options once, naming the bad key. */
export function resolveBaseOptions(options: BaseStreamOptions): ResolvedBaseOptions {
  if (!Number.isInteger(options.seed)) throw new ValidationError('seed', `must be an integer, got ${String(options.seed)}`);
  return Object.freeze({
    seed: options.seed,
    records: checkRange('records', options.records ?? DEFAULT_RECORDS, 1, Number.MAX_SAFE_INTEGER, true),
    startMs: checkRange('startMs', options.startMs ?? DEFAULT_START_MS, 0, Number.MAX_SAFE_INTEGER, true),
    intervalMs: checkRange('intervalMs', options.intervalMs ?? DEFAULT_INTERVAL_MS, 1, Number.MAX_SAFE_INTEGER, true),
  });
}

/** Returns `value` when it is a number in [min, max] (an integer when asked), else throws naming `path`. */
export function checkRange(path: string, value: number, min: number, max: number, integer = false): number {
  const ok = Number.isFinite(value) && value >= min && value <= max && (!integer || Number.isInteger(value));
  if (!ok) throw new ValidationError(path, `must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(value)}`);
  return value;
}
