import type kafkajs from 'kafkajs';
import type { Logger } from '../logger.js';
import { wrapKafkajsError } from './kafkajs-errors.js';
import { LazyHandle } from './lazy-handle.js';
import type { PartitionOffsets, TopicPartitionOffset } from './types.js';
import { retry } from '../retry.js';

/** kafkajs's fetchTopicOffsets failing on a broker reply that lacks the topic: transient, unlike other TypeErrors. */
function isStaleOffsetsReply(err: unknown): boolean {
  return err instanceof TypeError && /Cannot destructure property 'partitions'/.test(err.message);
}

/**
 * Read-only questions through one lazily connected kafkajs admin. Existence
 * is checked first because kafkajs retries a missing topic for seconds.
 */
export class KafkajsLookup {
  private readonly admin: LazyHandle<kafkajs.Admin>;

  constructor(kafka: kafkajs.Kafka, logger: Logger) {
    this.admin = lazyKafkajsAdmin(kafka, logger);
  }

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
      // kafkajs answers a broker's reply without the topic (stale leader metadata right after a big produce, seen
      // in CI) with a TypeError from inside fetchTopicOffsets; its retry does not cover it. Asking again after a
      // metadata refresh does: the one TypeError retried, on purpose, and only a few times.
      const offsets = await retry(
        async (_bail, attempt) => {
          if (attempt > 1) await admin.fetchTopicMetadata({ topics: [topic] });
          return admin.fetchTopicOffsets(topic);
        },
        { retries: 4, initialDelayMs: 100, maxDelayMs: 1000, shouldRetry: isStaleOffsetsReply },
      );
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

  close(): Promise<void> {
    return this.admin.close();
  }

  private async exists(admin: kafkajs.Admin, topic: string): Promise<boolean> {
    try {
      return (await admin.listTopics()).includes(topic);
    } catch (err) {
      throw wrapKafkajsError(err, { topic }, 'list topics');
    }
  }

  private connected(): Promise<kafkajs.Admin> {
    return this.admin.get();
  }
}

/** A kafkajs admin client connected on first use (see LazyHandle). */
export function lazyKafkajsAdmin(kafka: kafkajs.Kafka, logger: Logger): LazyHandle<kafkajs.Admin> {
  return new LazyHandle(
    async () => {
      const admin = kafka.admin();
      try {
        await admin.connect();
      } catch (err) {
        throw wrapKafkajsError(err, {}, 'admin connect');
      }
      return admin;
    },
    (admin) => admin.disconnect(),
    (err) => logger.debug({ err }, 'admin never connected'),
  );
}
