import type { Logger } from '../logger.js';
import { KafkajsGroups, type GroupDescription } from './kafkajs-groups.js';
import { rdkafkaBaseConfig } from './rdkafka-config.js';
import { RdkafkaReader, type PartitionOffset } from './rdkafka-reader.js';
import type { EventBusOptions, IncomingMessage } from './types.js';

export type { GroupDescription } from './kafkajs-groups.js';
export type { PartitionOffset } from './rdkafka-reader.js';

/**
 * What operators' tools ask of the cluster beyond the EventBus: groups'
 * state, offsets by time, and partitions read by offset range without
 * joining a group. Commits stay with group members (EventBus consumers).
 */
export interface KafkaAdmin {
  /** The group's state and members; undefined where the brokers cannot describe groups (librdkafka's mock cluster). */
  describeGroup(groupId: string): Promise<GroupDescription | undefined>;
  /** Per partition of `topic` (none when it does not exist), the first offset at or after `timestamp` (ms), else the partition's end. */
  offsetsForTime(topic: string, timestamp: number): Promise<PartitionOffset[]>;
  /** Messages of one partition from `from` up to, not including, `to`, in batches; breaking out of the loop stops the read. */
  read(topic: string, partition: number, from: number, to: number): AsyncIterable<IncomingMessage[]>;
  close(): Promise<void>;
}

/**
 * node-rdkafka reads and looks up offsets by time (kafkajs cannot read a
 * partition without joining a group); kafkajs describes groups (node-rdkafka
 * has no DescribeGroups). Nothing connects until first asked.
 */
export function createKafkaAdmin(options: EventBusOptions & { logger: Logger }): KafkaAdmin {
  const { logger, ...busOptions } = options;
  const log = logger.child({ component: 'kafka-admin' });
  const reader = new RdkafkaReader(rdkafkaBaseConfig(busOptions), `${busOptions.clientId ?? 'driftloop'}.admin`, log);
  const groups = new KafkajsGroups(busOptions, log);
  return {
    describeGroup: (groupId) => groups.describe(groupId),
    offsetsForTime: (topic, timestamp) => reader.offsetsForTime(topic, timestamp),
    read: (topic, partition, from, to) => reader.read(topic, partition, from, to),
    async close() {
      await Promise.all([reader.close(), groups.close()]);
    },
  };
}
