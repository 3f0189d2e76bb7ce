import type { ClickHouse, IncomingMessage, TopicPartition } from '../common/index.js';
import type { TableSpec } from './tables.js';

/**
 * Exactly once per offset across crashes. Rows carry their origin
 * (_topic, _partition, _offset); when a partition is (re)assigned, the first
 * batch from it asks ClickHouse which offsets from there on are already stored
 * (inserted before a crash but never committed) and those are skipped.
 */
export interface OffsetFence {
  /** Loads the stored offsets of partitions not yet checked since their assignment. */
  prepare(messages: readonly IncomingMessage[]): Promise<void>;
  /** Whether this message's row is already in ClickHouse. */
  isStored(message: IncomingMessage): boolean;
  /** Partitions left this member: check them again if they come back. */
  forget(partitions: readonly TopicPartition[]): void;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function createOffsetFence(clickhouse: ClickHouse, specOf: (topic: string) => TableSpec): OffsetFence {
  const checked = new Set<string>();
  const stored = new Map<string, Set<number>>();

  return {
    async prepare(messages) {
      const firstOffsets = new Map<string, IncomingMessage>();
      for (const m of messages) {
        const k = key(m.topic, m.partition);
        if (checked.has(k)) continue;
        const seen = firstOffsets.get(k);
        if (!seen || m.offset < seen.offset) firstOffsets.set(k, m);
      }
      for (const [k, m] of firstOffsets) {
        const rows = await clickhouse.query<{ _offset: number }>(
          `SELECT _offset FROM {db:Identifier}.{table:Identifier}
           WHERE _topic = {topic:String} AND _partition = {partition:UInt32} AND _offset >= {from:UInt64}`,
          { table: specOf(m.topic).table, topic: m.topic, partition: m.partition, from: m.offset },
        );
        if (rows.length > 0) stored.set(k, new Set(rows.map((r) => Number(r._offset))));
        checked.add(k);
      }
    },
    isStored(message) {
      if (stored.size === 0) return false;
      const k = key(message.topic, message.partition);
      const offsets = stored.get(k);
      if (!offsets?.delete(message.offset)) return false;
      if (offsets.size === 0) stored.delete(k);
      return true;
    },
    forget(partitions) {
      for (const p of partitions) {
        checked.delete(key(p.topic, p.partition));
        stored.delete(key(p.topic, p.partition));
      }
    },
  };
}
