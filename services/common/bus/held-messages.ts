import type { PauseState } from './pause-state.js';
import { partitionKey } from './topic-partition.js';
import type { IncomingMessage, TopicPartition } from './types.js';

/**
 * Messages of partitions paused while they were already fetched. librdkafka
 * moves a paused partition's fetch position back to just after the last
 * message the application consumed, so these are the only copies: they wait
 * here and are delivered first once the partition resumes. Dropped when the
 * partition is revoked or rewound (they were never committed).
 */
export class HeldMessages {
  private readonly held = new Map<string, IncomingMessage[]>();

  get size(): number {
    return this.held.size;
  }

  /** Moves messages of paused partitions out of `batch`; returns the rest, in order (`batch` itself when nothing is paused). */
  holdPaused(batch: IncomingMessage[], pauses: PauseState): IncomingMessage[] {
    let rest: IncomingMessage[] | undefined;
    let topic = '';
    let partition = -1;
    let paused = false;
    let list: IncomingMessage[] | undefined;
    for (let i = 0; i < batch.length; i++) {
      const m = batch[i]!;
      // Messages come in runs per partition: look the pause up once per run.
      if (m.partition !== partition || m.topic !== topic) {
        topic = m.topic;
        partition = m.partition;
        paused = pauses.isPaused(topic, partition);
        if (paused) {
          const key = partitionKey(topic, partition);
          list = this.held.get(key);
          if (!list) this.held.set(key, (list = []));
        }
      }
      if (paused) {
        rest ??= batch.slice(0, i);
        list!.push(m);
      } else if (rest) {
        rest.push(m);
      }
    }
    return rest ?? batch;
  }

  /** Takes up to `max` held messages of partitions no longer paused. */
  release(pauses: PauseState, max: number): IncomingMessage[] {
    const out: IncomingMessage[] = [];
    for (const [key, list] of this.held) {
      const first = list[0];
      if (!first || pauses.isPaused(first.topic, first.partition)) continue;
      const taken = list.splice(0, max - out.length);
      for (const m of taken) out.push(m);
      if (list.length === 0) this.held.delete(key);
      if (out.length >= max) break;
    }
    return out;
  }

  /** First held offset of a partition: where the application will continue reading. */
  firstOffset(topic: string, partition: number): number | undefined {
    return this.held.get(partitionKey(topic, partition))?.[0]?.offset;
  }

  drop(partitions: readonly TopicPartition[]): void {
    for (const { topic, partition } of partitions) this.held.delete(partitionKey(topic, partition));
  }

  clear(): void {
    this.held.clear();
  }
}
