/**
 * The event bus every service talks to. Two adapters implement it (node-rdkafka
 * and kafkajs) and pass one contract test suite; business code never imports a
 * Kafka driver.
 *
 * Offsets are JS numbers (exact to 2^53, far beyond any real partition).
 */

export interface TopicPartition {
  topic: string;
  partition: number;
}

/** `offset` follows Kafka's commit convention: the next offset to read. */
export interface TopicPartitionOffset extends TopicPartition {
  offset: number;
}

export interface OutgoingMessage {
  /** Messages with one key land on one partition, in order. */
  key: string | Buffer | null;
  value: Buffer | null;
  headers?: Record<string, string | Buffer>;
  /** Explicit partition; omit to partition by key. */
  partition?: number;
  /** Event time in ms; the broker's time when omitted. */
  timestamp?: number;
}

export interface IncomingMessage {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: number;
}

export interface PartitionLag extends TopicPartition {
  /** Next offset the consumer will read. */
  position: number;
  /** Offset after the last message in the partition, as last seen by this consumer. */
  highWatermark: number;
  lag: number;
}

export interface ConsumerOptions {
  groupId: string;
  topics: readonly string[];
  /** Where a group without a committed offset starts. @default true (earliest) */
  fromBeginning?: boolean;
  /**
   * Receives messages in offset order per partition (one call may hold several
   * partitions). The next call waits for the returned promise, which is how a
   * slow handler applies backpressure. A rejection is reported to `onError` and
   * the batch is delivered again from the last committed offset after a rejoin;
   * handlers should not reject for bad messages (dead-letter them instead).
   */
  onBatch(messages: IncomingMessage[]): Promise<void>;
  /** Partitions just assigned to this member. */
  onAssign?(partitions: TopicPartition[]): Promise<void> | void;
  /**
   * Partitions about to be taken away (rebalance or close). Awaited before the
   * partitions are released, so a handler can flush and commit what it holds.
   */
  onRevoke?(partitions: TopicPartition[]): Promise<void> | void;
  onError?(err: Error): void;
  /** Most messages handed to one `onBatch`. @default 10_000 */
  maxBatchMessages?: number;
}

export interface Consumer {
  /** Commits offsets (next offset to read) for the group; resolves once the broker accepted them. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Stops fetching (all assigned partitions when none given) without leaving the group. */
  pause(partitions?: readonly TopicPartition[]): void;
  resume(partitions?: readonly TopicPartition[]): void;
  isPaused(): boolean;
  assignment(): TopicPartition[];
  /** Lag per assigned partition, from the consumer's own view of positions and high watermarks. */
  lag(): PartitionLag[];
  /** Stops delivery, waits for the batch in flight and `onRevoke`, then leaves the group. */
  close(): Promise<void>;
}

export interface Producer {
  /** Resolves when every message is acknowledged by the brokers (acks=all). */
  send(topic: string, messages: readonly OutgoingMessage[]): Promise<void>;
  /** Waits until everything sent so far is acknowledged. */
  flush(): Promise<void>;
}

export interface PartitionOffsets {
  partition: number;
  /** First offset still in the log. */
  low: number;
  /** Offset after the last message. */
  high: number;
}

export interface EventBus {
  readonly client: 'rdkafka' | 'kafkajs';
  /** The process-wide producer, created on first use. */
  producer(): Promise<Producer>;
  /** A new group member, connected and subscribed; it starts delivering at once. */
  consumer(options: ConsumerOptions): Promise<Consumer>;
  /** Low and high offsets of each partition of `topic`. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Offsets `groupId` has committed on `topic` (partitions without a commit are left out). */
  committedOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]>;
  /** Closes the producer and every consumer this bus created. */
  close(): Promise<void>;
}

export interface EventBusOptions {
  brokers: readonly string[];
  clientId?: string;
  security?: {
    protocol: 'plaintext' | 'ssl' | 'sasl_plaintext' | 'sasl_ssl';
    saslMechanism?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username?: string;
    password?: string;
  };
}
