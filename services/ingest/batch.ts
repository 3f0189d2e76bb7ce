import { createHash } from 'node:crypto';
import { RowBinaryWriter, type DriftloopError, type IncomingMessage, type TopicPartitionOffset } from '../common/index.js';
import type { TableSpec } from './tables.js';

/** A message to dead-letter; `message.value` is null when only its coordinates were kept. */
export interface DeadLetterEntry {
  message: IncomingMessage;
  error: DriftloopError;
}

export interface TableRows {
  spec: TableSpec;
  writer: RowBinaryWriter;
  rows: number;
  /** End offset in `writer` of each row, so a rejected insert can be split to find the bad rows. */
  rowEnds: number[];
  /**
   * Kafka coordinates of each row (topic, partition, offset), kept instead of
   * the messages themselves: holding 100k message objects per batch costs
   * memory and GC time on every event, for a case (ClickHouse refusing a row
   * that passed validation) that should never happen.
   */
  topics: string[];
  partitions: number[];
  offsets: number[];
}

interface OffsetRange {
  topic: string;
  partition: number;
  first: number;
  last: number;
}

/**
 * Everything consumed since the previous cut: encoded rows per table, dead
 * letters, and the offset range of every partition touched (stored, dead
 * lettered or skipped alike: all of it is committed once the batch is stored).
 */
export class IngestBatch {
  readonly tables = new Map<string, TableRows>();
  readonly deadLetters: DeadLetterEntry[] = [];
  /** Offset ranges by topic, then by partition number. */
  private readonly ranges = new Map<string, OffsetRange[]>();
  rows = 0;
  bytes = 0;
  duplicates = 0;
  /** When the first message arrived; the batch is cut at most `maxWait` later. */
  firstAt = 0;
  private empty = true;

  get isEmpty(): boolean {
    return this.empty;
  }

  rowsOf(spec: TableSpec): TableRows {
    let t = this.tables.get(spec.table);
    if (!t) {
      t = { spec, writer: new RowBinaryWriter(1 << 20), rows: 0, rowEnds: [], topics: [], partitions: [], offsets: [] };
      this.tables.set(spec.table, t);
    }
    return t;
  }

  /** Records that `message` is accounted for (its offset will be committed with this batch). */
  track(message: IncomingMessage, now: number): void {
    if (this.empty) {
      this.empty = false;
      this.firstAt = now;
    }
    let byPartition = this.ranges.get(message.topic);
    if (!byPartition) {
      byPartition = [];
      this.ranges.set(message.topic, byPartition);
    }
    const range = byPartition[message.partition];
    if (range) range.last = Math.max(range.last, message.offset);
    else byPartition[message.partition] = { topic: message.topic, partition: message.partition, first: message.offset, last: message.offset };
  }

  private allRanges(): OffsetRange[] {
    return [...this.ranges.values()].flatMap((byPartition) => byPartition.filter((r) => r !== undefined));
  }

  /** Offsets to commit once the batch is stored: the next offset to read per partition. */
  commitOffsets(): TopicPartitionOffset[] {
    return this.allRanges().map((r) => ({ topic: r.topic, partition: r.partition, offset: r.last + 1 }));
  }

  /**
   * Idempotency key of one table's insert: the same batch retried after a
   * timeout carries the same token, and ClickHouse drops the repeat. It is a
   * hash of the rows themselves (origins included), not of the offset
   * ranges: a topic that starts again at offset 0 (recreated, or an embedded
   * broker restarted) brings other events at the same offsets, and a token
   * of ranges would have ClickHouse drop them as a repeat.
   */
  dedupToken(table: string, groupId: string): string {
    const rows = this.tables.get(table)?.writer.bytes() ?? Buffer.alloc(0);
    return `${table}:${createHash('sha256').update(groupId).update('\u0000').update(rows).digest('hex').slice(0, 32)}`;
  }
}
