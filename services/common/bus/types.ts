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
  /** Values must be UTF-8 text without NUL (node-rdkafka passes them as C strings); `send` rejects others. */
  headers?: Record<string, string | Buffer>;
  /**
   * Explicit partition; omit to partition by key (murmur2, the Java client's
   * partitioner, in both adapters). The topic must already exist: `send`
   * rejects a partition the topic lacks instead of hanging or dropping it.
   */
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
  /** A repeated header name keeps its last value. Messages without headers share one frozen empty object. */
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
   * slow handler applies backpressure. A rejection is reported to `onError`
   * and, after a backoff, the partitions of that batch are read again from
   * their last committed offset (from the batch's first offset where the group
   * has no commit); handlers should not reject for bad messages (dead-letter
   * them instead).
   */
  onBatch(messages: IncomingMessage[]): Promise<void>;
  /** Partitions just assigned to this member. */
  onAssign?(partitions: TopicPartition[]): Promise<void> | void;
  /**
   * Partitions about to be taken away (rebalance or close). Awaited before the
   * partitions are released, so a handler can flush and commit what it holds;
   * no batch of them is delivered after it starts. The rdkafka adapter
   * rebalances cooperatively (only moving partitions are revoked), the
   * kafkajs one eagerly (all of them, then a new assignment); see
   * kafkajs-consumer.ts for what kafkajs can guarantee.
   */
  onRevoke?(partitions: TopicPartition[]): Promise<void> | void;
  onError?(err: Error): void;
  /** Most messages handed to one `onBatch`. @default 10_000 */
  maxBatchMessages?: number;
  /**
   * How long the group waits for a silent member before it takes its
   * partitions away; heartbeats go out every third of it (at most 3 s).
   * Also bounds how long a rebalance waits on the embedded mock cluster.
   * @default 30_000
   */
  sessionTimeoutMs?: number;
}

export interface Consumer {
  /** Commits offsets (next offset to read) for the group; resolves once the broker accepted them. */
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /**
   * Stops fetching (all assigned partitions when none given, including ones
   * assigned later) without leaving the group. No `onBatch` starts for a
   * paused partition after this returns; pauses survive rebalances.
   */
  pause(partitions?: readonly TopicPartition[]): void;
  resume(partitions?: readonly TopicPartition[]): void;
  /** True while a whole-consumer pause or any partition pause is in effect. */
  isPaused(): boolean;
  assignment(): TopicPartition[];
  /**
   * Lag per assigned partition, from the consumer's own view of positions and
   * high watermarks (no request is sent). Partitions whose high watermark the
   * consumer has not learnt yet are left out.
   */
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
  /** Low and high offsets of each partition of `topic`, by partition; empty when the topic does not exist. */
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Offsets `groupId` has committed on `topic` (partitions without a commit are left out). */
  committedOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]>;
  /** Closes the producer and every consumer this bus created. */
  close(): Promise<void>;
}

export interface EventBusOptions {
  brokers: readonly string[];
  clientId?: string;
  /** librdkafka debug contexts, e.g. `consumer,fetch` (rdkafka only; logged at debug level). */
  debug?: string;
  security?: {
    protocol: 'plaintext' | 'ssl' | 'sasl_plaintext' | 'sasl_ssl';
    saslMechanism?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
    username?: string;
    password?: string;
  };
}
