import Kafka from 'node-rdkafka';
import { rdkafkaErrorCode, wrapRdkafkaError } from './rdkafka-errors.js';
import { toTopicPartitions } from './topic-partition.js';
import type { PartitionOffsets, TopicPartition, TopicPartitionOffset } from './types.js';

/** Promise forms of node-rdkafka's callback API, errors wrapped into KafkaError. */

/** How long lookups (metadata, watermarks, committed offsets, seeks) may take. */
export const LOOKUP_TIMEOUT_MS = 10_000;

export function connect(handle: Kafka.Producer | Kafka.KafkaConsumer, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    handle.connect({ timeout: LOOKUP_TIMEOUT_MS }, (err) => (err ? reject(wrapRdkafkaError(err, {}, `${what} connect`)) : resolve()));
  });
}

/** Resolves once disconnected or after `timeoutMs`, whichever comes first; never rejects. */
export function disconnect(handle: Kafka.Producer | Kafka.KafkaConsumer, timeoutMs: number, onProblem: (problem: string, err?: unknown) => void): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      onProblem(`did not disconnect within ${timeoutMs} ms; abandoning it`);
      resolve();
    }, timeoutMs);
    handle.disconnect((err: unknown) => {
      clearTimeout(timer);
      if (err) onProblem('disconnect failed', err);
      resolve();
    });
  });
}

/** Committed offsets of the handle's group; partitions without a commit are left out. */
export function committed(handle: Kafka.KafkaConsumer, partitions: readonly TopicPartition[]): Promise<TopicPartitionOffset[]> {
  return new Promise((resolve, reject) => {
    handle.committed(toTopicPartitions(partitions), LOOKUP_TIMEOUT_MS, (err, offsets) => {
      if (err) return reject(wrapRdkafkaError(err, { topic: partitions[0]?.topic }, 'committed offsets'));
      // librdkafka leaves `offset` out (or negative) where there is no commit.
      resolve(
        offsets
          .filter((o) => typeof o.offset === 'number' && o.offset >= 0)
          .map(({ topic, partition, offset }) => ({ topic, partition, offset })),
      );
    });
  });
}

export function seek(handle: Kafka.KafkaConsumer, target: TopicPartitionOffset): Promise<void> {
  return new Promise((resolve, reject) => {
    handle.seek({ ...target }, LOOKUP_TIMEOUT_MS, (err) => (err ? reject(wrapRdkafkaError(err, target, 'seek')) : resolve()));
  });
}

/** Partition ids of `topic`; empty when it does not exist (handles that never subscribe never create topics). */
export function partitionsOf(handle: Kafka.KafkaConsumer, topic: string): Promise<number[]> {
  return new Promise((resolve, reject) => {
    handle.getMetadata({ topic, timeout: LOOKUP_TIMEOUT_MS }, (err, metadata) => {
      if (err) return rdkafkaErrorCode(err) === Kafka.CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART ? resolve([]) : reject(wrapRdkafkaError(err, { topic }, 'metadata'));
      const partitions = metadata.topics.find((t) => t.name === topic)?.partitions ?? [];
      resolve(partitions.map((p) => p.id).sort((a, b) => a - b));
    });
  });
}

/** Low and high watermark of one partition, asked of its leader. */
export function watermarks(handle: Kafka.KafkaConsumer, topic: string, partition: number): Promise<PartitionOffsets> {
  return new Promise((resolve, reject) => {
    handle.queryWatermarkOffsets(topic, partition, LOOKUP_TIMEOUT_MS, (err, offsets) =>
      err ? reject(wrapRdkafkaError(err, { topic, partition }, 'watermarks')) : resolve({ partition, low: offsets.lowOffset, high: offsets.highOffset }),
    );
  });
}

/**
 * The broker's answer to ListOffsets by timestamp: per partition the first
 * offset whose timestamp is at or after `timestamp`, or -1 where it knows none.
 */
export function offsetsForTimes(handle: Kafka.KafkaConsumer, topic: string, partitions: readonly number[], timestamp: number): Promise<Map<number, number>> {
  return new Promise((resolve, reject) => {
    handle.offsetsForTimes(partitions.map((partition) => ({ topic, partition, offset: timestamp })), LOOKUP_TIMEOUT_MS, (err, offsets) =>
      err ? reject(wrapRdkafkaError(err, { topic }, 'offsets for time')) : resolve(new Map(offsets.map((o) => [o.partition, o.offset]))),
    );
  });
}
