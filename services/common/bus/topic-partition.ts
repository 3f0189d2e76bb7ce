import type { TopicPartition } from './types.js';

/** Map key of one partition; topic names cannot contain NUL. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}

/** Copies only `topic` and `partition` (driver objects carry more). */
export function toTopicPartitions(list: readonly TopicPartition[]): TopicPartition[] {
  return list.map(({ topic, partition }) => ({ topic, partition }));
}

/** kafkajs style `[{ topic, partitions: [...] }]`. */
export function groupByTopic(list: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of list) {
    const partitions = byTopic.get(topic);
    if (partitions) partitions.push(partition);
    else byTopic.set(topic, [partition]);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

export function sortPartitions<T extends TopicPartition>(list: T[]): T[] {
  return list.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
}
