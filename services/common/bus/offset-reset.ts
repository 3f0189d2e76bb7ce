import type { Logger } from '../logger.js';

/** A partition whose fetch position was out of range (deleted by retention) and was reset by the driver. */
export interface OffsetReset {
  topic: string;
  partition: number;
  /** Offset the consumer wanted to read next, when known. */
  fromOffset?: number;
  /** Offset it continues from. */
  toOffset?: number;
}

/** Logs an offset reset as a warning that says how much was skipped. */
export function logOffsetReset(logger: Logger, reset: OffsetReset): void {
  const { fromOffset, toOffset } = reset;
  const skipped = fromOffset !== undefined && toOffset !== undefined && toOffset > fromOffset ? toOffset - fromOffset : undefined;
  logger.warn({ ...reset, skipped }, 'offset out of range: messages were deleted (retention) before this group read them; they are skipped');
}
