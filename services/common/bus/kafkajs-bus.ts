import kafkajs from 'kafkajs';
import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { resolveConsumerSettings } from './consumer-settings.js';
import { KafkajsConsumer } from './kafkajs-consumer.js';
import { kafkajsLogCreator } from './kafkajs-log.js';
import { KafkajsLookup } from './kafkajs-lookup.js';
import { KafkajsProducer } from './kafkajs-producer.js';
import { PartitionCounts } from './partition-counts.js';
import { kafkajsSecurityConfig } from './security.js';
import type { Consumer, ConsumerOptions, EventBus, EventBusOptions, Producer } from './types.js';

const { Kafka, logLevel } = kafkajs;

/** EventBus over kafkajs (pure JavaScript, no native build): one kafkajs client per bus. */
export function createKafkajsBus(options: EventBusOptions, logger: Logger): EventBus {
  const consumers = new Set<KafkajsConsumer>();
  const kafka = new Kafka({
    clientId: options.clientId ?? 'driftloop',
    brokers: [...options.brokers],
    ...kafkajsSecurityConfig(options.security),
    logLevel: logLevel.INFO,
    logCreator: kafkajsLogCreator(logger.child({ part: 'kafkajs' }), ({ groupId, topic, partition }) => {
      for (const consumer of consumers) if (consumer.groupId === groupId) consumer.onOffsetOutOfRange(topic, partition);
    }),
  });
  const lookup = new KafkajsLookup(kafka, logger.child({ part: 'lookup' }));
  const partitionCounts = new PartitionCounts((topic) => lookup.partitionCount(topic));
  let producer: Promise<KafkajsProducer> | undefined;
  let closed = false;

  const closedError = (): KafkaError => new KafkaError('event bus is closed', {}, { retriable: false });

  return {
    client: 'kafkajs',

    producer(): Promise<Producer> {
      if (closed) return Promise.reject(closedError());
      if (!producer) {
        const pending = KafkajsProducer.connect(kafka, partitionCounts, logger.child({ part: 'producer' }));
        producer = pending;
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
      const consumer: KafkajsConsumer = new KafkajsConsumer(kafka, settings, lookup, log, () => consumers.delete(consumer));
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
