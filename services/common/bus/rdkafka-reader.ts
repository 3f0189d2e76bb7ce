import Kafka from 'node-rdkafka';
import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { connect, disconnect, LOOKUP_TIMEOUT_MS, offsetsForTimes, partitionsOf, watermarks } from './rdkafka-calls.js';
import { LazyHandle } from './lazy-handle.js';
import { rdkafkaLookupConfig } from './rdkafka-config.js';
import { wrapRdkafkaError } from './rdkafka-errors.js';
import { toIncomingMessages } from './rdkafka-messages.js';
import type { IncomingMessage, PartitionOffsets } from './types.js';

/** Messages asked of one consume() call; how long it waits for the first. */
const READ_BATCH = 5000;
const CONSUME_TIMEOUT_MS = 200;
/** A read that gets neither a message nor the partition's end for this long fails. */
const READ_STALL_MS = 15_000;

export interface PartitionOffset {
  partition: number;
  offset: number;
}

function consumeOnce(handle: Kafka.KafkaConsumer, topic: string, partition: number): Promise<Kafka.Message[]> {
  return new Promise((resolve, reject) => {
    handle.consume(READ_BATCH, (err, messages) => (err ? reject(wrapRdkafkaError(err, { topic, partition }, 'read')) : resolve(messages)));
  });
}

/**
 * Reads partitions by offset range and finds offsets by time, through
 * consumer handles that are assigned partitions directly: they never
 * subscribe, so they join no group and commit nothing.
 */
export class RdkafkaReader {
  private readonly metadataHandle: LazyHandle<Kafka.KafkaConsumer>;

  constructor(
    private readonly base: Kafka.GlobalConfig,
    private readonly ownGroupId: string,
    private readonly logger: Logger,
  ) {
    this.metadataHandle = new LazyHandle(
      async () => {
        const handle = new Kafka.KafkaConsumer(rdkafkaLookupConfig(base, ownGroupId), {});
        await connect(handle, 'reader lookup');
        return handle;
      },
      (handle) => disconnect(handle, LOOKUP_TIMEOUT_MS, (problem, err) => logger.debug({ err }, `reader handle ${problem}`)),
      (err) => logger.debug({ err }, 'reader handle never connected'),
    );
  }

  /**
   * Per partition, the first offset whose timestamp is at or after
   * `timestamp`; the partition's end where no message is that late.
   *
   * Asked of the broker (ListOffsets by timestamp). librdkafka's mock cluster
   * answers "none" to every timestamp (rdkafka_mock_handlers.c: "FIXME: by
   * timestamp"), which a real broker only says when no message is that late.
   * So a "none" for a partition whose last message is at or after the time is
   * not believed, and the partition is scanned from its start instead: on
   * real Kafka that never happens, on the mock (small partitions) it is quick.
   */
  async offsetsForTime(topic: string, timestamp: number): Promise<PartitionOffset[]> {
    const handle = await this.handle();
    const partitions = await partitionsOf(handle, topic);
    if (partitions.length === 0) return [];
    const [answers, marks] = await Promise.all([
      offsetsForTimes(handle, topic, partitions, timestamp),
      Promise.all(partitions.map((p) => watermarks(handle, topic, p))),
    ]);
    const out: PartitionOffset[] = [];
    for (const { partition, low, high } of marks) {
      const answer = answers.get(partition) ?? -1;
      if (answer >= 0) out.push({ partition, offset: Math.min(Math.max(answer, low), high) });
      else out.push({ partition, offset: await this.scanForTime(topic, { partition, low, high }, timestamp) });
    }
    return out;
  }

  /**
   * Messages of `partition` from offset `from` up to, not including, `to`, in
   * batches, in offset order. Offsets no longer in the log are skipped; the
   * read ends early at the partition's end. Breaking out of the loop stops it.
   */
  async *read(topic: string, partition: number, from: number, to: number): AsyncGenerator<IncomingMessage[]> {
    if (from >= to) return;
    let atEnd = false;
    const handle = new Kafka.KafkaConsumer(
      { ...rdkafkaLookupConfig(this.base, this.ownGroupId), 'enable.partition.eof': true, 'fetch.wait.max.ms': 10 },
      { 'auto.offset.reset': 'earliest' },
    );
    handle.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    handle.on('partition.eof', (eof: { topic: string; partition: number }) => {
      if (eof.topic === topic && eof.partition === partition) atEnd = true;
    });
    await connect(handle, 'reader');
    try {
      handle.assign([{ topic, partition, offset: from }]);
      let next = from;
      let progressAt = Date.now();
      while (next < to) {
        const raw = await consumeOnce(handle, topic, partition);
        if (raw.length > 0) {
          next = raw[raw.length - 1]!.offset + 1;
          progressAt = Date.now();
          const batch = toIncomingMessages(raw).filter((m) => m.offset >= from && m.offset < to);
          if (batch.length > 0) yield batch;
        } else if (atEnd) {
          // The partition's end was reached: what is left of the range is gone (retention, compaction).
          break;
        } else if (Date.now() - progressAt > READ_STALL_MS) {
          throw new KafkaError(`read of ${topic}[${partition}] stalled at offset ${next} (wanted up to ${to})`, { topic, partition });
        }
      }
    } finally {
      await disconnect(handle, LOOKUP_TIMEOUT_MS, (problem, err) => this.logger.debug({ err }, `reader ${problem}`));
    }
  }

  close(): Promise<void> {
    return this.metadataHandle.close();
  }

  /** The first offset at or after `timestamp` found by reading: the end when the last message is earlier. */
  private async scanForTime(topic: string, { partition, low, high }: PartitionOffsets, timestamp: number): Promise<number> {
    if (high <= low) return high;
    for await (const [last] of this.read(topic, partition, high - 1, high)) {
      if (last && last.timestamp < timestamp) return high;
    }
    for await (const batch of this.read(topic, partition, low, high)) {
      const hit = batch.find((m) => m.timestamp >= timestamp);
      if (hit) return hit.offset;
    }
    return high;
  }

  private handle(): Promise<Kafka.KafkaConsumer> {
    return this.metadataHandle.get();
  }
}
