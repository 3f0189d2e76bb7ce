import type { Logger } from '../logger.js';
import type { TopicPartition } from './types.js';

export function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Hands `err` to the application's `onError`; a throwing `onError` is logged,
 * never propagated, so no driver callback can crash the process.
 */
export function report(onError: (err: Error) => void, logger: Logger, err: unknown): void {
  try {
    onError(asError(err));
  } catch (thrown) {
    logger.error({ err: thrown, reported: asError(err).message }, 'onError threw');
  }
}

/** Runs an `onAssign`/`onRevoke` hook; its failure goes to `onError` and does not stop the rebalance. */
export async function callPartitionHook(
  hook: ((partitions: TopicPartition[]) => Promise<void> | void) | undefined,
  partitions: TopicPartition[],
  onError: (err: unknown) => void,
): Promise<void> {
  if (!hook || partitions.length === 0) return;
  try {
    await hook(partitions.map(({ topic, partition }) => ({ topic, partition })));
  } catch (err) {
    onError(err);
  }
}
