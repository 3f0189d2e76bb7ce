import kafkajs from 'kafkajs';
import type { Logger } from '../logger.js';
import { assembleBus } from './bus-shell.js';
import { KafkajsConsumer } from './kafkajs-consumer.js';
import { kafkajsLogCreator } from './kafkajs-log.js';
import { KafkajsLookup } from './kafkajs-lookup.js';
import { KafkajsProducer } from './kafkajs-producer.js';
import { PartitionCounts } from './partition-counts.js';
import { kafkajsSecurityConfig } from './security.js';
import type { EventBus, EventBusOptions } from './types.js';

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
  return assembleBus({
    client: 'kafkajs',
    logger,
    consumers,
    lookup,
    connectProducer: (log) => KafkajsProducer.connect(kafka, partitionCounts, log),
    newConsumer: (settings, log, onClosed) => new KafkajsConsumer(kafka, settings, lookup, log, onClosed),
  });
}
