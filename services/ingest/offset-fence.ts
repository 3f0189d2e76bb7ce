import type { ClickHouse, IncomingMessage, TopicPartition } from '../common/index.js';
import type { TableSpec } from './tables.js';

/**
 * Exactly once per message across crashes. Rows carry their origin
 * (_topic, _partition, _offset); when a partition is (re)assigned, the fence
 * asks ClickHouse which rows from the first offset read on are already
 * stored (inserted before a crash but never committed), and a message is
 * skipped only when the row at its offset is the same event (same event_id).
 *
 * Offsets alone do not name a message: a topic deleted and created again,
 * or an embedded broker started again on a kept ClickHouse, numbers its
 * messages from 0 once more, and the rows of the earlier incarnation sit at
 * those offsets. Comparing the event id tells the two apart on any broker,
 * with or without topic ids; a message identical in id to the row at its
 * offset is that event stored already, whichever incarnation wrote it.
 *
 * The stored rows are read a span of offsets at a time, as messages reach
 * it, so an old incarnation's millions of rows never sit in memory at once.
 */
export interface OffsetFence {
  /** Loads the stored rows for the offsets these messages reach, where not yet loaded. */
  prepare(messages: readonly IncomingMessage[]): Promise<void>;
  /**
   * Whether this message's row is already in ClickHouse. `eventId` gives the
   * message's decoded event id (undefined when it cannot be decoded); it is
   * called only when a row is stored at the message's offset.
   */
  isStored(message: IncomingMessage, eventId: () => string | undefined): boolean;
  /** Partitions left this member: check them again if they come back. */
  forget(partitions: readonly TopicPartition[]): void;
}

export interface OffsetFenceOptions {
  /** Offsets read from ClickHouse per query. @default 100_000 */
  spanOffsets?: number;
}

interface PartitionFence {
  /** One past the last stored offset of the partition when it was assigned; nothing stored at or past it. */
  end: number;
  /** Stored rows of offsets below `to` (from the first offset of the batch that loaded them) are in `rows`. */
  to: number;
  /** Stored event ids by offset (two when two incarnations both stored one). */
  rows: Map<number, string[]>;
}

const key = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export function createOffsetFence(clickhouse: ClickHouse, specOf: (topic: string) => TableSpec, options: OffsetFenceOptions = {}): OffsetFence {
  const { spanOffsets = 100_000 } = options;
  /** Partitions checked since their assignment. */
  const checked = new Set<string>();
  /** The checked partitions with stored rows still ahead of the messages. */
  const fences = new Map<string, PartitionFence>();

  const where = `_topic = {topic:String} AND _partition = {partition:UInt32}`;

  const storedEnd = async (m: IncomingMessage): Promise<number> => {
    const [row] = await clickhouse.query<{ end: string | number }>(
      `SELECT toUInt64(if(count() = 0, 0, max(_offset) + 1)) AS end FROM {db:Identifier}.{table:Identifier} WHERE ${where} AND _offset >= {from:UInt64}`,
      { table: specOf(m.topic).table, topic: m.topic, partition: m.partition, from: m.offset },
    );
    return Number(row?.end ?? 0);
  };

  /** Loads the stored rows of offsets [m.offset, through] and at least a span beyond m, in place of those loaded before. */
  const load = async (m: IncomingMessage, fence: PartitionFence, through: number): Promise<void> => {
    const from = m.offset;
    const to = Math.min(fence.end, Math.max(through + 1, from + spanOffsets));
    const rows = await clickhouse.query<{ _offset: string | number; event_id: string }>(
      `SELECT _offset, event_id FROM {db:Identifier}.{table:Identifier} WHERE ${where} AND _offset >= {from:UInt64} AND _offset < {to:UInt64}`,
      { table: specOf(m.topic).table, topic: m.topic, partition: m.partition, from, to },
    );
    fence.rows.clear();
    for (const r of rows) {
      const offset = Number(r._offset);
      const ids = fence.rows.get(offset);
      if (ids) ids.push(r.event_id);
      else fence.rows.set(offset, [r.event_id]);
    }
    fence.to = to;
  };

  return {
    async prepare(messages) {
      // The first and last offset of this batch, per partition.
      const reach = new Map<string, { first: IncomingMessage; last: number }>();
      for (const m of messages) {
        const k = key(m.topic, m.partition);
        const r = reach.get(k);
        if (!r) reach.set(k, { first: m, last: m.offset });
        else {
          if (m.offset < r.first.offset) r.first = m;
          if (m.offset > r.last) r.last = m.offset;
        }
      }
      for (const [k, { first, last }] of reach) {
        let fence = fences.get(k);
        if (!checked.has(k)) {
          const end = await storedEnd(first);
          checked.add(k);
          if (end <= first.offset) continue;
          fence = { end, to: 0, rows: new Map() };
          fences.set(k, fence);
          await load(first, fence, last);
        } else if (fence && last >= fence.to && fence.to < fence.end) {
          // Messages come in offset order per partition: the rows behind this batch are no longer needed.
          await load(first, fence, last);
        }
        if (fence && fence.to >= fence.end && fence.rows.size === 0) fences.delete(k);
      }
    },

    isStored(message, eventId) {
      if (fences.size === 0) return false;
      const rows = fences.get(key(message.topic, message.partition))?.rows;
      const ids = rows?.get(message.offset);
      if (!ids) return false;
      rows!.delete(message.offset);
      const id = eventId();
      return id !== undefined && ids.includes(id);
    },

    forget(partitions) {
      for (const p of partitions) {
        checked.delete(key(p.topic, p.partition));
        fences.delete(key(p.topic, p.partition));
      }
    },
  };
}
