import type kafkajs from 'kafkajs';
import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { backoffDelayMs, sleep } from '../retry.js';
import { CLOSE_TIMEOUT_MS, METADATA_REFRESH_MS, type ConsumerSettings } from './consumer-settings.js';
import { callPartitionHook, report } from './hooks.js';
import { isRejoinError, wrapKafkajsError } from './kafkajs-errors.js';
import type { KafkajsLookup } from './kafkajs-lookup.js';
import { toIncomingChunk } from './kafkajs-messages.js';
import { PauseState } from './pause-state.js';
import { logOffsetReset } from './offset-reset.js';
import { groupByTopic, partitionKey, sortPartitions, toTopicPartitions } from './topic-partition.js';
import type { Consumer, PartitionLag, TopicPartition, TopicPartitionOffset } from './types.js';

/** Backoff before a batch whose handler failed is read again. */
const RETRY_BACKOFF = { initialDelayMs: 200, maxDelayMs: 10_000 };

/**
 * A group member over kafkajs (eager rebalancing, one partition's batch at a
 * time, offsets resolved per delivered chunk, never auto-committed).
 *
 * What is guaranteed on rebalance. kafkajs has no revoke hook: a member
 * learns of a rebalance from a heartbeat answered REBALANCE_IN_PROGRESS (or
 * ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID) and kafkajs then rejoins at once.
 * - Rebalance noticed while a batch is being delivered: the adapter
 *   heartbeats after every onBatch call and, on such an error, awaits
 *   onRevoke(all assigned partitions) before rethrowing it; only then does
 *   kafkajs send JoinGroup, so the next owner cannot get a partition before
 *   onRevoke settled. While batches flow this is the path taken: a heartbeat
 *   that failed is sent again on the next call, so even a rebalance that
 *   kafkajs noticed on another broker's idle fetch is seen by our heartbeat
 *   before the batch in flight ends.
 * - Rebalance noticed by kafkajs between batches (idle fetch, no onBatch
 *   running): onRevoke starts from the REBALANCING event, after every
 *   batch in flight has finished and before JoinGroup is sent, but kafkajs
 *   does not wait for it: it runs alongside the JoinGroup/SyncGroup round
 *   trips. No batch is delivered until it settles, yet its commits may land
 *   after the next owner read the previous commit: duplicates are possible,
 *   loss is not.
 * - After a crash kafkajs restarts and rejoins: onRevoke runs for the old
 *   assignment before onAssign for the new one, after the fact.
 * onAssign runs after kafkajs has the new assignment and before its first
 * batch is delivered.
 *
 * On the embedded mock cluster two more limits apply: it refuses commits
 * while a rebalance is pending (real brokers accept them from the current
 * generation), so a commit made in onRevoke fails there and the next owner
 * re-reads from the previous commit; and it misreads kafkajs' LeaveGroup
 * (v3), so a closed member stays in the group until its session times out.
 */
export class KafkajsConsumer implements Consumer {
  private state: 'running' | 'closing' | 'closed' = 'running';
  private assigned: TopicPartition[] = [];
  /** onRevoke has run for `assigned` (vacuously before the first join). */
  private revoked = true;
  /** Rebalance hooks, one after another; deliveries wait for it. Never rejects. */
  private hooks: Promise<void> = Promise.resolve();
  private inFlight: Promise<void> | undefined;
  private readonly pauses = new PauseState();
  private readonly positions = new Map<string, PartitionLag>();
  /** Committed offsets when the current assignment began. */
  private readonly committedAtJoin = new Map<string, number>();
  private readonly stopping = new AbortController();
  private failures = 0;
  private closed: Promise<void> | undefined;
  private readonly handle: kafkajs.Consumer;

  constructor(
    kafka: kafkajs.Kafka,
    private readonly settings: ConsumerSettings,
    private readonly lookup: KafkajsLookup,
    private readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {
    this.handle = kafka.consumer({
      groupId: settings.groupId,
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      // Short fetch waits: close and pause take effect sooner; idle cost is a few requests per second.
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 8_388_608,
      maxBytes: 52_428_800,
      metadataMaxAge: METADATA_REFRESH_MS,
    });
    const { GROUP_JOIN, REBALANCING, CRASH } = this.handle.events;
    this.handle.on(GROUP_JOIN, (event) => this.onJoin(event.payload.memberAssignment));
    this.handle.on(REBALANCING, () => void this.revoke());
    this.handle.on(CRASH, ({ payload }) =>
      this.reportError(wrapKafkajsError(payload.error, {}, payload.restart ? 'consumer crashed; kafkajs restarts it' : 'consumer crashed and stopped')),
    );
  }

  get groupId(): string {
    return this.settings.groupId;
  }

  async start(): Promise<void> {
    try {
      await this.handle.connect();
      await this.handle.subscribe({ topics: [...this.settings.topics], fromBeginning: this.settings.fromBeginning });
      await this.handle.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (err) {
      await this.handle.disconnect().catch(() => undefined);
      throw wrapKafkajsError(err, { topic: this.settings.topics[0] }, 'consumer start');
    }
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const first = offsets[0]!;
    if (this.state === 'closed') throw new KafkaError('consumer is closed; cannot commit', { topic: first.topic }, { retriable: false });
    try {
      await this.handle.commitOffsets(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: String(offset) })));
    } catch (err) {
      throw wrapKafkajsError(err, { topic: first.topic, partition: offsets.length === 1 ? first.partition : undefined }, 'commit');
    }
  }

  pause(partitions?: readonly TopicPartition[]): void {
    this.pauses.pause(partitions);
    // Without partitions kafkajs pauses whole topics, which also covers partitions assigned later.
    this.driver('pause', partitions ? groupByTopic(partitions) : this.settings.topics.map((topic) => ({ topic })));
  }

  resume(partitions?: readonly TopicPartition[]): void {
    this.pauses.resume(partitions);
    this.driver('resume', partitions ? groupByTopic(partitions) : this.settings.topics.map((topic) => ({ topic })));
  }

  isPaused(): boolean {
    return this.pauses.active;
  }

  assignment(): TopicPartition[] {
    return toTopicPartitions(this.assigned);
  }

  lag(): PartitionLag[] {
    const lags: PartitionLag[] = [];
    for (const { topic, partition } of this.assigned) {
      const lag = this.positions.get(partitionKey(topic, partition));
      if (lag) lags.push({ ...lag });
    }
    return lags;
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  /**
   * Called by the bus when kafkajs logged that it resets a partition of this
   * group (its log line names no offsets): reports where the group was and
   * where the partition now starts.
   */
  onOffsetOutOfRange(topic: string, partition: number): void {
    if (!this.assigned.some((p) => p.topic === topic && p.partition === partition)) return;
    const key = partitionKey(topic, partition);
    const known = this.positions.get(key)?.position ?? this.committedAtJoin.get(key);
    this.lookup.topicOffsets(topic).then(
      (offsets) => {
        const watermarks = offsets.find((o) => o.partition === partition);
        const toOffset = watermarks && (this.settings.fromBeginning ? watermarks.low : watermarks.high);
        logOffsetReset(this.logger, { topic, partition, fromOffset: known ?? this.committedAtJoin.get(key), toOffset });
      },
      () => logOffsetReset(this.logger, { topic, partition, fromOffset: known }),
    );
  }

  private eachBatch(payload: kafkajs.EachBatchPayload): Promise<void> {
    const delivery = this.deliverBatch(payload);
    this.inFlight = delivery;
    return delivery.finally(() => {
      if (this.inFlight === delivery) this.inFlight = undefined;
    });
  }

  private async deliverBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: kafkajs.EachBatchPayload): Promise<void> {
    await this.hooks;
    const { topic, partition, messages } = batch;
    if (this.state !== 'running' || this.revoked || messages.length === 0) return;
    const key = partitionKey(topic, partition);
    const highWatermark = Number(batch.highWatermark);
    const max = this.settings.maxBatchMessages;
    for (let start = 0; start < messages.length; start += max) {
      // Paused, rewound, revoked or closing since the fetch: the rest stays unresolved, and kafkajs
      // fetches it again from the last resolved (or, after a rejoin, committed) offset.
      if (this.state !== 'running' || this.revoked || !isRunning() || isStale() || this.pauses.isPaused(topic, partition)) return;
      const chunk = toIncomingChunk(topic, partition, messages, start, Math.min(start + max, messages.length));
      const last = chunk[chunk.length - 1]!.offset;
      // Like librdkafka's position: the chunk in the handler counts as read.
      this.positions.set(key, { topic, partition, position: last + 1, highWatermark, lag: Math.max(0, highWatermark - last - 1) });
      try {
        await this.settings.onBatch(chunk);
        this.failures = 0;
      } catch (err) {
        this.failures++;
        this.reportError(err);
        await this.rewind(topic, partition, chunk[0]!.offset, heartbeat);
        return;
      }
      resolveOffset(String(last));
      await this.heartbeat(heartbeat);
    }
  }

  /** Heartbeats between chunks; a rejoin error first awaits onRevoke, then goes to kafkajs, which rejoins. */
  private async heartbeat(heartbeat: () => Promise<void>): Promise<void> {
    try {
      await heartbeat();
    } catch (err) {
      if (isRejoinError(err)) await this.revoke();
      throw err;
    }
  }

  /** After a failed onBatch: seek the partition back to its committed offset (or the chunk's first). */
  private async rewind(topic: string, partition: number, firstOffset: number, heartbeat: () => Promise<void>): Promise<void> {
    // kafkajs heartbeats only between batches, so a long backoff is slept in heartbeat-sized slices.
    let remaining = backoffDelayMs(this.failures, RETRY_BACKOFF);
    while (remaining > 0) {
      const slice = Math.min(remaining, this.settings.heartbeatIntervalMs);
      try {
        await sleep(slice, this.stopping.signal);
      } catch {
        return;
      }
      remaining -= slice;
      await this.heartbeat(heartbeat);
    }
    try {
      const committed = await this.lookup.committedOffsets(this.settings.groupId, topic);
      const offset = committed.find((c) => c.partition === partition)?.offset ?? firstOffset;
      this.handle.seek({ topic, partition, offset: String(offset) });
      const key = partitionKey(topic, partition);
      const lag = this.positions.get(key);
      if (lag) this.positions.set(key, { ...lag, position: offset, lag: Math.max(0, lag.highWatermark - offset) });
      this.logger.info({ topic, partition, offset }, 'rewound after a failed batch');
    } catch (err) {
      this.reportError(wrapKafkajsError(err, { topic, partition }, 'rewind after a failed batch'));
    }
  }

  /** Queues onRevoke for the current assignment unless it already ran; resolves once it has. */
  private revoke(): Promise<void> {
    this.hooks = this.hooks.then(async () => {
      if (this.revoked) return;
      this.revoked = true;
      await callPartitionHook(this.settings.onRevoke, this.assigned, (err) => this.reportError(err));
    });
    return this.hooks;
  }

  private onJoin(memberAssignment: Record<string, number[]>): void {
    const next = sortPartitions(Object.entries(memberAssignment).flatMap(([topic, partitions]) => partitions.map((partition) => ({ topic, partition }))));
    // Rejoined without a REBALANCING event (after a crash): revoke the old assignment first.
    void this.revoke();
    this.hooks = this.hooks.then(async () => {
      this.assigned = next;
      this.revoked = false;
      // A new generation reads from the committed offsets: positions start over.
      this.positions.clear();
      this.committedAtJoin.clear();
      if (this.state === 'running') {
        this.applyPauses(next);
        this.seedPositions(next);
      }
      await callPartitionHook(this.settings.onAssign, next, (err) => this.reportError(err));
    });
  }

  /** kafkajs keeps pauses across rebalances, but not across a crash restart: re-apply ours. */
  private applyPauses(partitions: TopicPartition[]): void {
    const paused = partitions.filter((p) => this.pauses.isPaused(p.topic, p.partition));
    if (paused.length > 0) this.driver('pause', groupByTopic(paused));
  }

  /**
   * Committed offsets, then watermarks, from the cluster: lag() then covers
   * partitions before their first batch, and an offset reset can say where
   * the group was (committed offsets first: kafkajs overwrites them when it
   * resets an out-of-range position).
   */
  private seedPositions(partitions: TopicPartition[]): void {
    const topics = [...new Set(partitions.map((p) => p.topic))];
    const assigned = (topic: string, partition: number): boolean => this.assigned.some((p) => p.topic === topic && p.partition === partition);
    const seed = async (): Promise<void> => {
      const committed = await this.lookup.committedOffsetsOf(this.settings.groupId, topics);
      for (const c of committed) if (assigned(c.topic, c.partition)) this.committedAtJoin.set(partitionKey(c.topic, c.partition), c.offset);
      for (const topic of topics) {
        for (const { partition, low, high } of await this.lookup.topicOffsets(topic)) {
          const key = partitionKey(topic, partition);
          if (this.positions.has(key) || !assigned(topic, partition)) continue;
          const position = this.committedAtJoin.get(key) ?? (this.settings.fromBeginning ? low : high);
          this.positions.set(key, { topic, partition, position, highWatermark: high, lag: Math.max(0, high - position) });
        }
      }
    };
    seed().catch((err: unknown) => this.logger.debug({ err }, 'could not load offsets for lag'));
  }

  private driver(action: 'pause' | 'resume', topics: { topic: string; partitions?: number[] }[]): void {
    if (topics.length === 0 || this.state === 'closed') return;
    try {
      if (action === 'pause') this.handle.pause(topics);
      else this.handle.resume(topics);
    } catch (err) {
      this.reportError(wrapKafkajsError(err, {}, action));
    }
  }

  private reportError(err: unknown): void {
    report(this.settings.onError, this.logger, err);
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    this.stopping.abort();
    await this.inFlight?.catch(() => undefined);
    await this.revoke();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(resolve, CLOSE_TIMEOUT_MS, 'timeout')));
    try {
      const outcome = await Promise.race([this.handle.disconnect().then(() => 'done' as const), timeout]);
      if (outcome === 'timeout') this.logger.warn({ timeoutMs: CLOSE_TIMEOUT_MS }, 'consumer did not disconnect in time; abandoning it');
    } catch (err) {
      this.logger.warn({ err }, 'consumer disconnect failed');
    } finally {
      clearTimeout(timer);
    }
    this.state = 'closed';
    this.assigned = [];
    this.onClosed();
  }
}
