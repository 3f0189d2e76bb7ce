import Kafka from 'node-rdkafka';
import type { Logger } from '../logger.js';
import { committed, connect, disconnect, LOOKUP_TIMEOUT_MS, partitionsOf, watermarks } from './rdkafka-calls.js';
import { LazyHandle } from './lazy-handle.js';
import { rdkafkaLookupConfig } from './rdkafka-config.js';
import type { PartitionOffsets, TopicPartitionOffset } from './types.js';

async function connectLookup(config: Kafka.ConsumerGlobalConfig): Promise<Kafka.KafkaConsumer> {
  const handle = new Kafka.KafkaConsumer(config, {});
  await connect(handle, 'lookup');
  return handle;
}

/**
 * Read-only questions to the cluster, asked through consumer handles that
 * never subscribe (so never join a group): one kept for metadata and
 * watermarks, a throwaway one per committed-offsets lookup (it needs the
 * group's id).
 */
export class RdkafkaLookup {
  private readonly metadataHandle: LazyHandle<Kafka.KafkaConsumer>;

  constructor(
    private readonly base: Kafka.GlobalConfig,
    ownGroupId: string,
    private readonly logger: Logger,
  ) {
    this.metadataHandle = new LazyHandle(
      () => connectLookup(rdkafkaLookupConfig(base, ownGroupId)),
      (handle) => this.release(handle),
      (err) => logger.debug({ err }, 'lookup handle never connected'),
    );
  }

  async partitionCount(topic: string): Promise<number> {
    return (await partitionsOf(await this.handle(), topic)).length;
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const handle = await this.handle();
    const partitions = await partitionsOf(handle, topic);
    return Promise.all(partitions.map((partition) => watermarks(handle, topic, partition)));
  }

  async committedOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
    const handle = await connectLookup(rdkafkaLookupConfig(this.base, groupId));
    try {
      const partitions = await partitionsOf(handle, topic);
      if (partitions.length === 0) return [];
      const offsets = await committed(
        handle,
        partitions.map((partition) => ({ topic, partition })),
      );
      return offsets.sort((a, b) => a.partition - b.partition);
    } finally {
      await this.release(handle);
    }
  }

  close(): Promise<void> {
    return this.metadataHandle.close();
  }

  private release(handle: Kafka.KafkaConsumer): Promise<void> {
    return disconnect(handle, LOOKUP_TIMEOUT_MS, (problem, err) => this.logger.debug({ err }, `lookup handle ${problem}`));
  }

  private handle(): Promise<Kafka.KafkaConsumer> {
    return this.metadataHandle.get();
  }
}
