import { partitionKey } from './topic-partition.js';
import type { PartitionLag, TopicPartition } from './types.js';

/** A partition the consumer has not moved on for a while although messages wait in it. */
export interface StalledPartition extends TopicPartition {
  position: number;
  lag: number;
  /** How long the position has not moved (processing time). */
  stalledMs: number;
}

export interface StallWatch {
  /**
   * Feeds the consumer's latest view (`Consumer.lag()`) and whether it is
   * paused on purpose; answers the partitions stalled for `stallMs` or longer.
   */
  observe(lags: readonly PartitionLag[], paused: boolean, now: number): StalledPartition[];
}

/**
 * Notices a consumer that makes no progress while its lag is above 0: a
 * processing-time safeguard (it watches the process, not the events), so a
 * stuck handler, a lost assignment the client did not notice, or a fetch loop
 * that died shows up instead of hiding behind a healthy process. A pause on
 * purpose (backpressure, an outage being waited out, an operator) restarts
 * the count: that state is reported by whoever paused.
 */
export function createStallWatch(stallMs: number): StallWatch {
  const seen = new Map<string, { position: number; since: number }>();
  return {
    observe(lags, paused, now) {
      const stalled: StalledPartition[] = [];
      const current = new Set<string>();
      for (const l of lags) {
        const key = partitionKey(l.topic, l.partition);
        current.add(key);
        const last = seen.get(key);
        if (!last || last.position !== l.position || l.lag === 0 || paused) {
          seen.set(key, { position: l.position, since: now });
          continue;
        }
        const stalledMs = now - last.since;
        if (stalledMs >= stallMs) stalled.push({ topic: l.topic, partition: l.partition, position: l.position, lag: l.lag, stalledMs });
      }
      for (const key of seen.keys()) if (!current.has(key)) seen.delete(key);
      return stalled;
    },
  };
}
