import { topicName, type Topic } from '../../../schemas/index.js';
import { DecodeError, ValidationError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { EventCodec } from '../serde/event-codec.js';
import type { Consumer, EventBus, IncomingMessage } from './types.js';

export interface EventConsumerOptions {
  bus: EventBus;
  codec: EventCodec;
  topicPrefix: string;
  /** The topic (without prefix) whose events `handle` gets, decoded. */
  topic: Topic;
  groupId: string;
  logger: Logger;
  /** Handles one event. Throwing re-reads the batch (ClickHouse or Kafka trouble), unless `skip` says the failure is the event's own. */
  handle(event: Record<string, unknown>, message: IncomingMessage): Promise<void>;
  /** Failures no retry can fix (besides undecodable or invalid events, always skipped): said, counted, and the event skipped. */
  skip?: (err: unknown) => boolean;
  onSkipped?: (err: unknown, message: IncomingMessage) => void;
}

/**
 * A consumer of one control topic, as the services downstream of the trainer
 * read theirs: events one at a time in partition order, a batch committed
 * once every event in it was handled or skipped with the reason, so a crash
 * re-reads at most one batch and every handler is idempotent.
 */
export async function consumeEvents(options: EventConsumerOptions): Promise<Consumer> {
  const { codec, topic, logger: log } = options;
  const name = topicName(options.topicPrefix, topic);
  let consumer: Consumer | null = null;
  const onBatch = async (messages: IncomingMessage[]): Promise<void> => {
    const last = new Map<number, number>();
    for (const message of messages) {
      if (message.value) {
        try {
          await options.handle(await codec.decode(topic, message.value), message);
        } catch (err) {
          if (!(err instanceof DecodeError || err instanceof ValidationError || options.skip?.(err))) throw err;
          log.warn({ topic: name, partition: message.partition, offset: message.offset, err: errorMessage(err) }, 'event skipped');
          options.onSkipped?.(err, message);
        }
      }
      last.set(message.partition, message.offset);
    }
    await consumer?.commit([...last].map(([partition, offset]) => ({ topic: name, partition, offset: offset + 1 })));
  };
  consumer = await options.bus.consumer({ groupId: options.groupId, topics: [name], onBatch, onError: (err) => log.warn({ topic: name, err: errorMessage(err) }, 'consumer error') });
  return consumer;
}
