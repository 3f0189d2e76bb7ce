import { KafkaError } from '../errors.js';
import type { OutgoingMessage } from './types.js';

/**
 * Partition counts per topic, for checking explicit partitions before they
 * reach a driver: librdkafka holds a message for a missing partition until it
 * times out (flush hangs), kafkajs acknowledges it without writing it.
 * `fetchCount` returns 0 for a topic that does not exist.
 */
export class PartitionCounts {
  private readonly counts = new Map<string, number>();

  constructor(private readonly fetchCount: (topic: string) => Promise<number>) {}

  async check(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    let highest = -1;
    for (const m of messages) {
      if (m.partition === undefined) continue;
      if (!Number.isInteger(m.partition) || m.partition < 0) {
        throw new KafkaError(`partition must be a non-negative integer; got ${m.partition}`, { topic }, { retriable: false });
      }
      if (m.partition > highest) highest = m.partition;
    }
    if (highest < 0) return;
    let count = this.counts.get(topic);
    // Partitions can be added to a topic, so a miss refreshes before it fails.
    if (count === undefined || highest >= count) {
      count = await this.fetchCount(topic);
      if (count > 0) this.counts.set(topic, count);
    }
    if (count === 0) {
      throw new KafkaError(`topic ${topic} does not exist; an explicit partition needs an existing topic`, { topic, partition: highest }, { retriable: false });
    }
    if (highest >= count) {
      throw new KafkaError(`topic ${topic} has ${count} partitions; cannot produce to partition ${highest}`, { topic, partition: highest }, { retriable: false });
    }
  }
}
