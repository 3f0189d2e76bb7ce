import type Kafka from 'node-rdkafka';
import { wrapRdkafkaError } from './rdkafka-errors.js';
import { toTopicPartitions } from './topic-partition.js';
import type { TopicPartition, TopicPartitionOffset } from './types.js';

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
