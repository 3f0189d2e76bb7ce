import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { resolveConsumerSettings } from './consumer-settings.js';
import { PartitionCounts } from './partition-counts.js';
import { rdkafkaBaseConfig, rdkafkaProducerConfig } from './rdkafka-config.js';
import { RdkafkaConsumer } from './rdkafka-consumer.js';
import { RdkafkaLookup } from './rdkafka-lookup.js';
import { RdkafkaProducer } from './rdkafka-producer.js';
import type { Consumer, ConsumerOptions, EventBus, EventBusOptions, Producer } from './types.js';

/**
 * EventBus over node-rdkafka (librdkafka): the performance path. One
 * idempotent producer per bus, one librdkafka consumer per `consumer()` call,
 * and a lookup handle for offsets questions.
 */
export function createRdkafkaBus(options: EventBusOptions, logger: Logger): EventBus {
  const base = rdkafkaBaseConfig(options);
  const lookup = new RdkafkaLookup(base, `${options.clientId ?? 'driftloop'}.lookup`, logger.child({ part: 'lookup' }));
  const partitionCounts = new PartitionCounts((topic) => lookup.partitionCount(topic));
  const consumers = new Set<RdkafkaConsumer>();
  let producer: Promise<RdkafkaProducer> | undefined;
  let closed = false;

  const closedError = (): KafkaError => new KafkaError('event bus is closed', {}, { retriable: false });

  return {
    client: 'rdkafka',

    producer(): Promise<Producer> {
      if (closed) return Promise.reject(closedError());
      if (!producer) {
        const pending = RdkafkaProducer.connect(rdkafkaProducerConfig(base), partitionCounts, logger.child({ part: 'producer' }));
        producer = pending;
        // A failed connect is not cached: the next call tries again.
        pending.catch(() => {
          if (producer === pending) producer = undefined;
        });
      }
      return producer;
    },

    async consumer(consumerOptions: ConsumerOptions): Promise<Consumer> {
      if (closed) throw closedError();
      const log = logger.child({ part: 'consumer', groupId: consumerOptions.groupId });
      const settings = resolveConsumerSettings(consumerOptions, (err) => log.error({ err }, 'consumer error'));
      const consumer: RdkafkaConsumer = new RdkafkaConsumer(base, settings, log, () => consumers.delete(consumer));
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
