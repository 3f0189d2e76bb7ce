import kafkajs from 'kafkajs';
import type { Logger } from '../logger.js';

const { logLevel } = kafkajs;

/** What kafkajs logs (at error level) just before it resets a partition whose offset is out of range. */
const OFFSET_OUT_OF_RANGE = 'Offset out of range, resetting to default offset';

export interface OffsetOutOfRange {
  groupId: string;
  topic: string;
  partition: number;
}

/**
 * Routes kafkajs' logger into pino (kafkajs info is chatty: it becomes
 * debug) and turns its offset-out-of-range reset into a callback, so the
 * consumer can report which range was skipped.
 */
export function kafkajsLogCreator(logger: Logger, onOffsetOutOfRange: (reset: OffsetOutOfRange) => void): kafkajs.logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = log as { message: string; timestamp?: string; logger?: string; [key: string]: unknown };
      if (message === OFFSET_OUT_OF_RANGE && typeof extra.topic === 'string' && typeof extra.groupId === 'string') {
        onOffsetOutOfRange({ groupId: extra.groupId, topic: extra.topic, partition: Number(extra.partition) });
        return;
      }
      const fields = { namespace, ...extra };
      // kafkajs logs every error response at error level, including the ones it handles itself
      // (rebalancing, out-of-range fetches); what matters surfaces as a thrown error or a crash.
      if (namespace === 'Connection' && message.startsWith('Response ')) logger.debug(fields, message);
      else if (level === logLevel.ERROR) logger.error(fields, message);
      else if (level === logLevel.WARN) logger.warn(fields, message);
      else logger.debug(fields, message);
    };
}
