import { partitionKey } from './topic-partition.js';
import type { TopicPartition } from './types.js';

/**
 * What the application paused, kept apart from the driver so it can be
 * re-applied after a rebalance: a whole-consumer pause (which also covers
 * partitions assigned later) with per-partition exceptions, plus single
 * partitions.
 */
export class PauseState {
  private all = false;
  private readonly paused = new Set<string>();
  /** Partitions resumed one by one while `all` is set. */
  private readonly resumed = new Set<string>();

  pause(partitions?: readonly TopicPartition[]): void {
    if (!partitions) {
      this.all = true;
      this.paused.clear();
      this.resumed.clear();
      return;
    }
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition);
      this.paused.add(key);
      this.resumed.delete(key);
    }
  }

  resume(partitions?: readonly TopicPartition[]): void {
    if (!partitions) {
      this.all = false;
      this.paused.clear();
      this.resumed.clear();
      return;
    }
    for (const { topic, partition } of partitions) {
      const key = partitionKey(topic, partition);
      this.paused.delete(key);
      if (this.all) this.resumed.add(key);
    }
  }

  /** Anything paused at all: the cheap check before per-partition work. */
  get active(): boolean {
    return this.all || this.paused.size > 0;
  }

  isPaused(topic: string, partition: number): boolean {
    const key = partitionKey(topic, partition);
    return this.paused.has(key) || (this.all && !this.resumed.has(key));
  }
}
