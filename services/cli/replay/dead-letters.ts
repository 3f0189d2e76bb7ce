import { checkHeaderValues, errorMessage, type EventBus, type KafkaAdmin, type OutgoingMessage, type PartitionOffsets } from '../../common/index.js';
import { decodeDeadLetter, origin, type DeadLetterRecord } from './dead-letter-record.js';
import { offsetsAt } from './offsets.js';
import { describePosition, type Position } from './positions.js';

/** Header a re-published message carries: the dead letter it was restored from. */
export const REPLAY_HEADER = 'driftloop-replay-of';
/** Messages per send. */
const SEND_CHUNK = 1000;

export interface DeadLetterReplayOptions {
  /** Full name of the dead-letter topic. */
  topic: string;
  from: Position;
  /** Where to stop, not included. */
  to: Position;
  /** Full name of the one source topic to restore; all when absent. */
  source?: string;
  dryRun: boolean;
}

export interface SkippedDeadLetter {
  dead_letter: string;
  /** Where the message came from, when the dead letter could be read. */
  origin: string | null;
  reason: string;
}

export interface DeadLetterReplayReport {
  topic: string;
  dry_run: boolean;
  from: string;
  to: string;
  /** The offsets read, per partition of the dead-letter topic. */
  ranges: { partition: number; from: number; to: number }[];
  read: number;
  /** Per source topic, how many messages were (or, dry, would be) re-published. */
  republished: Record<string, number>;
  /** Dead letters of other source topics than --source. */
  other_sources: number;
  skipped: SkippedDeadLetter[];
}

interface Restorable {
  letter: DeadLetterRecord;
  message: OutgoingMessage;
}

/**
 * Re-publishes dead letters to the topic each came from, with the key, value
 * and headers recorded, on the partition it came from, in its original order
 * there; what cannot be restored is skipped with the reason. The range ends
 * where the topic ended when the replay began, so a message dead-lettered
 * again is not replayed again in the same run. Each run publishes anew
 * (ingest stores once per offset, and a re-published message has a new
 * one): a second run over the same range sends the messages twice.
 */
export async function replayDeadLetters(deps: { bus: EventBus; admin: KafkaAdmin }, options: DeadLetterReplayOptions): Promise<DeadLetterReplayReport> {
  const { bus, admin } = deps;
  const marks = await bus.topicOffsets(options.topic);
  const [starts, ends] = await Promise.all([offsetsAt(admin, options.topic, marks, options.from), offsetsAt(admin, options.topic, marks, options.to)]);
  const report: DeadLetterReplayReport = {
    topic: options.topic,
    dry_run: options.dryRun,
    from: describePosition(options.from),
    to: describePosition(options.to),
    ranges: marks.map(({ partition }) => ({ partition, from: starts.get(partition)!, to: Math.max(starts.get(partition)!, ends.get(partition)!) })),
    read: 0,
    republished: {},
    other_sources: 0,
    skipped: [],
  };

  const sources = new Map<string, Promise<PartitionOffsets[]>>();
  const partitionsOf = (topic: string): Promise<PartitionOffsets[]> => {
    let p = sources.get(topic);
    if (!p) sources.set(topic, (p = bus.topicOffsets(topic)));
    return p;
  };
  const restorable: Restorable[] = [];
  for (const range of report.ranges) {
    for await (const batch of admin.read(options.topic, range.partition, range.from, range.to)) {
      for (const m of batch) {
        report.read++;
        const where = origin(m.topic, m.partition, m.offset);
        const letter = decodeDeadLetter(m.value);
        if (!letter) {
          report.skipped.push({ dead_letter: where, origin: null, reason: 'not a dead letter driftloop wrote (Confluent Avro of schemas/avro/dlq.avsc)' });
          continue;
        }
        if (options.source !== undefined && letter.source_topic !== options.source) {
          report.other_sources++;
          continue;
        }
        const skip = (reason: string): void => void report.skipped.push({ dead_letter: where, origin: origin(letter.source_topic, letter.source_partition, letter.source_offset), reason });
        const reason = whyNotRestorable(letter, await partitionsOf(letter.source_topic));
        if (reason) {
          skip(reason);
          continue;
        }
        const message: OutgoingMessage = {
          key: letter.key,
          value: letter.value,
          headers: { ...letter.headers, [REPLAY_HEADER]: `${m.topic}:${m.partition}:${m.offset}` },
          partition: letter.source_partition,
        };
        try {
          checkHeaderValues(letter.source_topic, [message]);
        } catch (err) {
          skip(`${errorMessage(err)}; it cannot be sent as recorded`);
          continue;
        }
        restorable.push({ letter, message });
      }
    }
  }

  // Dead letters are keyed by origin, so one source partition's are spread over the topic's partitions: put them back in order.
  restorable.sort((a, b) => compare(a.letter.source_topic, b.letter.source_topic) || a.letter.source_partition - b.letter.source_partition || a.letter.source_offset - b.letter.source_offset);
  const producer = options.dryRun ? undefined : await bus.producer();
  for (let i = 0; i < restorable.length; ) {
    const topic = restorable[i]!.letter.source_topic;
    let j = i;
    while (j < restorable.length && j - i < SEND_CHUNK && restorable[j]!.letter.source_topic === topic) j++;
    await producer?.send(topic, restorable.slice(i, j).map((r) => r.message));
    report.republished[topic] = (report.republished[topic] ?? 0) + (j - i);
    i = j;
  }
  return report;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function whyNotRestorable(letter: DeadLetterRecord, source: readonly PartitionOffsets[]): string | undefined {
  if (letter.truncated) {
    return `its original was cut to fit the dead-letter topic (key ${letter.key_bytes} bytes, value ${letter.value_bytes} bytes); the whole message is in Kafka at its origin: rewind the consuming group there (driftloop replay ${letter.source_topic} --group ${letter.consumer_group} --from ${letter.source_offset})`;
  }
  if (letter.value === null) return 'no value was recorded: nothing to re-consume';
  if (source.length === 0) return `source topic ${letter.source_topic} does not exist`;
  if (!source.some((p) => p.partition === letter.source_partition)) return `${letter.source_topic} has no partition ${letter.source_partition} any more (it has ${source.length})`;
  return undefined;
}
