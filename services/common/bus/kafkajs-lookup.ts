import type kafkajs from 'kafkajs';
import type { Logger } from '../logger.js';
import { wrapKafkajsError } from './kafkajs-errors.js';
import type { PartitionOffsets, TopicPartitionOffset } from './types.js';

/**
 * Read-only questions through one lazily connected kafkajs admin. Existence
 * is checked first because kafkajs retries a missing topic for seconds.
 */
export class KafkajsLookup {
  private admin: Promise<kafkajs.Admin> | undefined;

  constructor(
    private readonly kafka: kafkajs.Kafka,
    private readonly logger: Logger,
  ) {}

  async partitionCount(topic: string): Promise<number> {
    const admin = await this.connected();
    if (!(await this.exists(admin, topic))) return 0;
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
      return topics[0]?.partitions.length ?? 0;
    } catch (err) {
      throw wrapKafkajsError(err, { topic }, 'metadata');
    }
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const admin = await this.connected();
    if (!(await this.exists(admin, topic))) return [];
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })).sort((a, b) => a.partition - b.partition);
    } catch (err) {
      throw wrapKafkajsError(err, { topic }, 'topic offsets');
    }
  }

  async committedOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]> {
    const admin = await this.connected();
    if (!(await this.exists(admin, topic))) return [];
    try {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      // kafkajs reports "-1" for partitions without a commit.
      return (entry?.partitions ?? [])
        .map((p) => ({ topic, partition: p.partition, offset: Number(p.offset) }))
        .filter((p) => p.offset >= 0)
        .sort((a, b) => a.partition - b.partition);
    } catch (err) {
      throw wrapKafkajsError(err, { topic }, 'committed offsets');
    }
  }

  /** Committed offsets of `groupId` on topics known to exist (one request, no existence check). */
  async committedOffsetsOf(groupId: string, topics: string[]): Promise<TopicPartitionOffset[]> {
    const admin = await this.connected();
    try {
      const entries = await admin.fetchOffsets({ groupId, topics });
      return entries.flatMap(({ topic, partitions }) =>
        partitions.map((p) => ({ topic, partition: p.partition, offset: Number(p.offset) })).filter((p) => p.offset >= 0),
      );
    } catch (err) {
      throw wrapKafkajsError(err, { topic: topics[0] }, 'committed offsets');
    }
  }

  async close(): Promise<void> {
    const pending = this.admin;
    this.admin = undefined;
    if (!pending) return;
    try {
      await (await pending).disconnect();
    } catch (err) {
      this.logger.debug({ err }, 'admin never connected');
    }
  }

  private async exists(admin: kafkajs.Admin, topic: string): Promise<boolean> {
    try {
      return (await admin.listTopics()).includes(topic);
    } catch (err) {
      throw wrapKafkajsError(err, { topic }, 'list topics');
    }
  }

  private connected(): Promise<kafkajs.Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const pending = admin.connect().then(
        () => admin,
        (err: unknown) => {
          throw wrapKafkajsError(err, {}, 'admin connect');
        },
      );
      this.admin = pending;
      pending.catch(() => {
        if (this.admin === pending) this.admin = undefined;
      });
    }
    return this.admin;
  }
}
