import type { Logger } from '../logger.js';
import { assembleBus } from './bus-shell.js';
import { PartitionCounts } from './partition-counts.js';
import { rdkafkaBaseConfig, rdkafkaProducerConfig } from './rdkafka-config.js';
import { RdkafkaConsumer } from './rdkafka-consumer.js';
import { RdkafkaLookup } from './rdkafka-lookup.js';
import { RdkafkaProducer } from './rdkafka-producer.js';
import type { EventBus, EventBusOptions } from './types.js';

/**
 * EventBus over node-rdkafka (librdkafka): one idempotent producer per bus,
 * one librdkafka consumer per `consumer()` call, and a lookup handle for
 * offsets questions.
 */
export function createRdkafkaBus(options: EventBusOptions, logger: Logger): EventBus {
  const base = rdkafkaBaseConfig(options);
  const lookup = new RdkafkaLookup(base, `${options.clientId ?? 'driftloop'}.lookup`, logger.child({ part: 'lookup' }));
  const partitionCounts = new PartitionCounts((topic) => lookup.partitionCount(topic));
  return assembleBus({
    client: 'rdkafka',
    logger,
    consumers: new Set<RdkafkaConsumer>(),
    lookup,
    connectProducer: (log) => RdkafkaProducer.connect(rdkafkaProducerConfig(base), partitionCounts, log),
    newConsumer: (settings, log, onClosed) => new RdkafkaConsumer(base, settings, log, onClosed),
  });
}
