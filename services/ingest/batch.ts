import { createHash } from 'node:crypto';
import { RowBinaryWriter, type DriftloopError, type IncomingMessage, type TopicPartitionOffset } from '../common/index.js';
import type { TableSpec } from './tables.js';

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
  /** The message of each row, for dead-lettering a row ClickHouse refuses. */
  messages: IncomingMessage[];
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
  readonly ranges = new Map<string, OffsetRange>();
  rows = 0;
  bytes = 0;
  duplicates = 0;
  /** When the first message arrived; the batch is cut at most `maxWait` later. */
  firstAt = 0;

  get isEmpty(): boolean {
    return this.ranges.size === 0;
  }

  rowsOf(spec: TableSpec): TableRows {
    let t = this.tables.get(spec.table);
    if (!t) {
      t = { spec, writer: new RowBinaryWriter(1 << 20), rows: 0, rowEnds: [], messages: [] };
      this.tables.set(spec.table, t);
    }
    return t;
  }

  /** Records that `message` is accounted for (its offset will be committed with this batch). */
  track(message: IncomingMessage, now: number): void {
    if (this.ranges.size === 0) this.firstAt = now;
    const key = `${message.topic}\u0000${message.partition}`;
    const range = this.ranges.get(key);
    if (range) range.last = Math.max(range.last, message.offset);
    else this.ranges.set(key, { topic: message.topic, partition: message.partition, first: message.offset, last: message.offset });
  }

  /** Offsets to commit once the batch is stored: the next offset to read per partition. */
  commitOffsets(): TopicPartitionOffset[] {
    return [...this.ranges.values()].map((r) => ({ topic: r.topic, partition: r.partition, offset: r.last + 1 }));
  }

  /**
   * Idempotency key of one table's insert: the same batch retried after a
   * timeout carries the same token, and ClickHouse drops the repeat.
   */
  dedupToken(table: string, groupId: string): string {
    const ranges = [...this.ranges.values()]
      .map((r) => `${r.topic}/${r.partition}/${r.first}-${r.last}`)
      .sort()
      .join(',');
    return `${table}:${createHash('sha256').update(`${groupId}|${ranges}`).digest('hex').slice(0, 32)}`;
  }
}
