import { ConfigError } from '../errors.js';
import type { ConsumerOptions } from './types.js';

/** @see ConsumerOptions.maxBatchMessages */
export const DEFAULT_MAX_BATCH_MESSAGES = 10_000;
/** @see ConsumerOptions.sessionTimeoutMs */
export const DEFAULT_SESSION_TIMEOUT_MS = 30_000;
/**
 * How often a consumer refreshes topic metadata. A member that subscribes
 * before its topic exists (normal at start-up: producers create topics) only
 * notices the topic at the next refresh; the clients' 5-minute default left
 * such consumers idle for minutes.
 */
export const METADATA_REFRESH_MS = 2000;
/** How long a consumer waits on close for the group to let it go before it disconnects anyway. */
export const CLOSE_TIMEOUT_MS = 10_000;

export interface ConsumerSettings extends Readonly<Required<Pick<ConsumerOptions, 'groupId' | 'fromBeginning' | 'maxBatchMessages' | 'sessionTimeoutMs' | 'onBatch'>>> {
  readonly topics: readonly string[];
  readonly heartbeatIntervalMs: number;
  readonly onAssign: NonNullable<ConsumerOptions['onAssign']> | undefined;
  readonly onRevoke: NonNullable<ConsumerOptions['onRevoke']> | undefined;
  readonly onError: (err: Error) => void;
}

/** Validates consumer options once, fills in defaults and freezes the result. */
export function resolveConsumerSettings(options: ConsumerOptions, fallbackOnError: (err: Error) => void): ConsumerSettings {
  const { groupId, topics, fromBeginning = true, maxBatchMessages = DEFAULT_MAX_BATCH_MESSAGES, sessionTimeoutMs = DEFAULT_SESSION_TIMEOUT_MS } = options;
  if (typeof groupId !== 'string' || groupId.length === 0) throw new ConfigError('consumer.groupId', 'must be a non-empty string');
  if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw new ConfigError('consumer.topics', 'must be a non-empty list of topic names');
  }
  if (!Number.isInteger(maxBatchMessages) || maxBatchMessages < 1) throw new ConfigError('consumer.maxBatchMessages', 'must be a positive integer');
  if (!Number.isInteger(sessionTimeoutMs) || sessionTimeoutMs < 1000) throw new ConfigError('consumer.sessionTimeoutMs', 'must be an integer of at least 1000');
  if (typeof options.onBatch !== 'function') throw new ConfigError('consumer.onBatch', 'must be a function');
  return Object.freeze({
    groupId,
    topics: Object.freeze([...new Set(topics)]),
    fromBeginning,
    maxBatchMessages,
    sessionTimeoutMs,
    heartbeatIntervalMs: Math.min(3000, Math.floor(sessionTimeoutMs / 3)),
    onBatch: options.onBatch,
    onAssign: options.onAssign,
    onRevoke: options.onRevoke,
    onError: options.onError ?? fallbackOnError,
  });
}
