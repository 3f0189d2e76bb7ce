import type Kafka from 'node-rdkafka';
import { rdkafkaSecurityConfig } from './security.js';
import { METADATA_REFRESH_MS, type ConsumerSettings } from './consumer-settings.js';
import type { EventBusOptions } from './types.js';

/** Settings every librdkafka handle of one bus shares. */
export function rdkafkaBaseConfig(options: EventBusOptions): Kafka.GlobalConfig {
  return {
    'bootstrap.servers': options.brokers.join(','),
    'client.id': options.clientId ?? 'driftloop',
    // Lets librdkafka's log lines (offset resets, broker trouble) reach pino through `event.log`.
    event_cb: true,
    // librdkafka's own debug contexts (e.g. consumer,fetch), logged through pino at debug level.
    ...(options.debug ? { debug: options.debug } : {}),
    ...(rdkafkaSecurityConfig(options.security) as Kafka.GlobalConfig),
  };
}

/**
 * Fetch settings measured against the mock cluster in another process: with
 * these and `consume(10k..20k)` a consumer reads ~200k small messages/s,
 * about ten times librdkafka's defaults (which wait 500 ms per fetch and
 * fetch 1 MiB per partition).
 */
export function rdkafkaConsumerConfig(
  base: Kafka.GlobalConfig,
  settings: ConsumerSettings,
  rebalance: (err: Kafka.LibrdKafkaError, assignment: Kafka.TopicPartition[]) => void,
): { global: Kafka.ConsumerGlobalConfig; topic: Kafka.ConsumerTopicConfig } {
  return {
    global: {
      ...base,
      'group.id': settings.groupId,
      'enable.auto.commit': false,
      'session.timeout.ms': settings.sessionTimeoutMs,
      'heartbeat.interval.ms': settings.heartbeatIntervalMs,
      // Cooperative: only partitions that move are revoked, and librdkafka revokes them after the
      // JoinGroup/SyncGroup round, when the group accepts commits again (real brokers also accept
      // commits while an eager rebalance is pending; the mock cluster does not).
      'partition.assignment.strategy': 'cooperative-sticky',
      // Without EOF events consume(n) keeps waiting for n messages while they trickle in.
      'enable.partition.eof': true,
      'fetch.wait.max.ms': 10,
      'fetch.max.bytes': 52_428_800,
      'max.partition.fetch.bytes': 8_388_608,
      'queued.min.messages': 200_000,
      // Caps what librdkafka prefetches (default 64 MiB): the consumer's memory stays bounded whatever the backlog.
      'queued.max.messages.kbytes': 32_768,
      // Like kafkajs consumers: subscribing to a topic that does not exist yet creates it where the broker allows.
      'allow.auto.create.topics': true,
      'topic.metadata.refresh.interval.ms': METADATA_REFRESH_MS,
      rebalance_cb: rebalance,
    },
    topic: { 'auto.offset.reset': settings.fromBeginning ? 'earliest' : 'latest' },
  };
}

export function rdkafkaProducerConfig(base: Kafka.GlobalConfig): { global: Kafka.ProducerGlobalConfig; topic: Kafka.ProducerTopicConfig } {
  return {
    global: {
      ...base,
      // Implies acks=all, retries without reordering or duplicates; the mock cluster supports it.
      'enable.idempotence': true,
      'linger.ms': 5,
      'batch.num.messages': 10_000,
      dr_cb: true,
    },
    // The Java client's partitioner, which kafkajs' DefaultPartitioner also implements: one key, one partition, whatever the client.
    topic: { partitioner: 'murmur2_random', 'request.required.acks': -1 },
  };
}

/** A consumer handle that never joins its group: metadata, watermarks and committed offsets. */
export function rdkafkaLookupConfig(base: Kafka.GlobalConfig, groupId: string): Kafka.ConsumerGlobalConfig {
  return { ...base, 'group.id': groupId, 'enable.auto.commit': false, 'allow.auto.create.topics': false };
}
