import type { KafkaAdmin, PartitionOffsets } from '../../common/index.js';
import type { Position } from './positions.js';

/**
 * The offset `position` names on each partition (by partition number), kept
 * inside what the log holds: an offset past the end is the end, one before
 * the start (deleted by retention) is the start, as Kafka's own tools do.
 */
export async function offsetsAt(admin: Pick<KafkaAdmin, 'offsetsForTime'>, topic: string, marks: readonly PartitionOffsets[], position: Position): Promise<Map<number, number>> {
  const clamp = (m: PartitionOffsets, offset: number): number => Math.min(Math.max(offset, m.low), m.high);
  switch (position.kind) {
    case 'earliest':
      return new Map(marks.map((m) => [m.partition, m.low]));
    case 'latest':
      return new Map(marks.map((m) => [m.partition, m.high]));
    case 'offset':
      return new Map(marks.map((m) => [m.partition, clamp(m, position.offset)]));
    case 'time': {
      const found = new Map((await admin.offsetsForTime(topic, position.ms)).map((o) => [o.partition, o.offset]));
      return new Map(marks.map((m) => [m.partition, clamp(m, found.get(m.partition) ?? m.high)]));
    }
  }
}
