import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { resolveConsumerSettings, type ConsumerSettings } from './consumer-settings.js';
import type { Consumer, ConsumerOptions, EventBus, PartitionOffsets, Producer, TopicPartitionOffset } from './types.js';

interface Closable {
  close(): Promise<void>;
}

/** What an adapter brings; the shell adds what every bus does the same way. */
export interface BusParts<P extends Producer & Closable, C extends Consumer & { start(): Promise<void> }> {
  client: EventBus['client'];
  logger: Logger;
  /** The bus keeps its live consumers here (an adapter may need to reach them, e.g. from a log hook). */
  consumers: Set<C>;
  lookup: Closable & {
    topicOffsets(topic: string): Promise<PartitionOffsets[]>;
    committedOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]>;
  };
  connectProducer(logger: Logger): Promise<P>;
  /** A consumer not started yet; it calls `onClosed` when it is done. */
  newConsumer(settings: ConsumerSettings, logger: Logger, onClosed: () => void): C;
}

/**
 * The EventBus both adapters share: one producer per bus, created on first use
 * (a failed connect is not cached, so the next call tries again), consumers
 * tracked so `close()` closes them first, then the producer, then the lookup.
 */
export function assembleBus<P extends Producer & Closable, C extends Consumer & { start(): Promise<void> }>(parts: BusParts<P, C>): EventBus {
  const { logger, consumers, lookup } = parts;
  let producer: Promise<P> | undefined;
  let closed = false;
  const closedError = (): KafkaError => new KafkaError('event bus is closed', {}, { retriable: false });

  return {
    client: parts.client,

    producer(): Promise<Producer> {
      if (closed) return Promise.reject(closedError());
      if (!producer) {
        const pending = parts.connectProducer(logger.child({ part: 'producer' }));
        producer = pending;
        pending.catch(() => {
          if (producer === pending) producer = undefined;
        });
      }
      return producer;
    },

    async consumer(options: ConsumerOptions): Promise<Consumer> {
      if (closed) throw closedError();
      const log = logger.child({ part: 'consumer', groupId: options.groupId });
      const settings = resolveConsumerSettings(options, (err) => log.error({ err }, 'consumer error'));
      const consumer: C = parts.newConsumer(settings, log, () => consumers.delete(consumer));
      consumers.add(consumer);
      try {
        await consumer.start();
      } catch (err) {
        consumers.delete(consumer);
        throw err;
      }
      return consumer;
    },

    topicOffsets: (topic) => lookup.topicOffsets(topic),

    committedOffsets: (groupId, topic) => lookup.committedOffsets(groupId, topic),

    async close(): Promise<void> {
      closed = true;
      await Promise.allSettled([...consumers].map((c) => c.close()));
      const pending = producer;
      producer = undefined;
      if (pending) await pending.then((p) => p.close(), () => undefined);
      await lookup.close();
    },
  };
}
