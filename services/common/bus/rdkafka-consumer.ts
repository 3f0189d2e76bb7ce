import Kafka from 'node-rdkafka';
import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { backoffDelayMs, sleep } from '../retry.js';
import { CLOSE_TIMEOUT_MS, type ConsumerSettings } from './consumer-settings.js';
import { HeldMessages } from './held-messages.js';
import { callPartitionHook, report } from './hooks.js';
import { PauseState } from './pause-state.js';
import { committed, connect, disconnect, seek } from './rdkafka-calls.js';
import { rdkafkaConsumerConfig } from './rdkafka-config.js';
import { ERR_ASSIGN_PARTITIONS, ERR_REVOKE_PARTITIONS, wrapRdkafkaError } from './rdkafka-errors.js';
import { forwardRdkafkaLog, type RdkafkaLogLine } from './rdkafka-log.js';
import { toIncomingMessages } from './rdkafka-messages.js';
import { partitionKey, toTopicPartitions } from './topic-partition.js';
import type { Consumer, IncomingMessage, PartitionLag, TopicPartition, TopicPartitionOffset } from './types.js';

/** How long one consume() waits for the first message; bounds how late a rebalance or close is noticed. */
const CONSUME_TIMEOUT_MS = 100;
/** Backoff before a batch whose handler failed is read again, and after consume errors. */
const RETRY_BACKOFF = { initialDelayMs: 200, maxDelayMs: 10_000 };

interface RebalanceEvent {
  kind: 'assign' | 'revoke';
  partitions: TopicPartition[];
}

/**
 * running: the loop consumes and delivers. closing: the loop is finishing its
 * batch, queued rebalances still run their hooks. leaving: hooks are done,
 * rebalance callbacks are applied to the driver directly. closed.
 */
type State = 'running' | 'closing' | 'leaving' | 'closed';

/**
 * A group member over node-rdkafka. One loop does everything that touches
 * the application, in order: consume(n) → onBatch → rebalance hooks. The
 * custom rebalance_cb only queues the event. Rebalancing is cooperative: a
 * revoke names only the partitions that move, and librdkafka does not finish
 * the rebalance until incrementalUnassign() is called, which the loop does
 * after onRevoke settles, so the next owner cannot receive a partition before
 * the handler has flushed and committed it.
 */
export class RdkafkaConsumer implements Consumer {
  private state: State = 'running';
  private assigned: TopicPartition[] = [];
  private readonly pauses = new PauseState();
  /** Whether node-rdkafka's consume() is running on its worker thread (see `driver`). */
  private consuming = false;
  private readonly deferredDriverCalls: { action: 'pause' | 'resume'; partitions: TopicPartition[] }[] = [];
  private readonly held = new HeldMessages();
  private readonly rebalances: RebalanceEvent[] = [];
  /** Committed offsets at assignment: the position lag() reports before the first message arrives. */
  private readonly startPositions = new Map<string, number>();
  private readonly stopping = new AbortController();
  private failures = 0;
  private loop: Promise<void> = Promise.resolve();
  private closed: Promise<void> | undefined;
  private readonly handle: Kafka.KafkaConsumer;

  constructor(
    base: Kafka.GlobalConfig,
    private readonly settings: ConsumerSettings,
    private readonly logger: Logger,
    private readonly onClosed: () => void,
  ) {
    const config = rdkafkaConsumerConfig(base, settings, (err, assignment) => this.onRebalance(err, assignment));
    this.handle = new Kafka.KafkaConsumer(config.global, config.topic);
    this.handle.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    this.handle.on('event.log', (line: RdkafkaLogLine) => forwardRdkafkaLog(logger, line));
    this.handle.on('event.error', (err) => this.reportError(wrapRdkafkaError(err, {}, 'consumer')));
  }

  async start(): Promise<void> {
    await connect(this.handle, 'consumer');
    try {
      this.handle.subscribe([...this.settings.topics]);
    } catch (err) {
      await this.disconnect();
      throw wrapRdkafkaError(err, { topic: this.settings.topics[0] }, 'subscribe');
    }
    this.loop = this.run().catch((err: unknown) => this.reportError(err));
  }

  async commit(offsets: readonly TopicPartitionOffset[]): Promise<void> {
    if (offsets.length === 0) return;
    const first = offsets[0]!;
    if (this.state === 'closed') throw new KafkaError('consumer is closed; cannot commit', { topic: first.topic }, { retriable: false });
    try {
      // Synchronous on purpose: it returns once the coordinator has accepted the offsets (about a
      // millisecond on a LAN). The asynchronous commit reports through the consumer's queue, which is
      // only served inside consume(), so a handler awaiting it from onBatch would wait forever.
      this.handle.commitSync(offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset })));
    } catch (err) {
      throw wrapRdkafkaError(err, { topic: first.topic, partition: offsets.length === 1 ? first.partition : undefined }, 'commit');
    }
  }

  pause(partitions?: readonly TopicPartition[]): void {
    this.pauses.pause(partitions);
    const targets = partitions ? partitions.filter((p) => this.isAssigned(p)) : this.assigned;
    this.driver('pause', targets);
  }

  resume(partitions?: readonly TopicPartition[]): void {
    this.pauses.resume(partitions);
    const targets = (partitions ? partitions.filter((p) => this.isAssigned(p)) : this.assigned).filter(
      (p) => !this.pauses.isPaused(p.topic, p.partition),
    );
    this.driver('resume', targets);
  }

  isPaused(): boolean {
    return this.pauses.active;
  }

  assignment(): TopicPartition[] {
    return toTopicPartitions(this.assigned);
  }

  lag(): PartitionLag[] {
    if (this.state === 'closed' || this.assigned.length === 0) return [];
    let positions: Kafka.TopicPartitionOffset[];
    try {
      positions = this.handle.position(toTopicPartitions(this.assigned));
    } catch {
      return [];
    }
    const lags: PartitionLag[] = [];
    for (const { topic, partition, offset } of positions) {
      let watermarks: Kafka.WatermarkOffsets;
      try {
        // Cached from the last fetch response; throws until there was one.
        watermarks = this.handle.getWatermarkOffsets(topic, partition);
      } catch {
        continue;
      }
      const high = watermarks.highOffset;
      if (typeof high !== 'number' || high < 0) continue;
      const position =
        this.held.firstOffset(topic, partition) ??
        (typeof offset === 'number' && offset >= 0 ? offset : undefined) ??
        this.startPositions.get(partitionKey(topic, partition)) ??
        (this.settings.fromBeginning ? Math.max(0, watermarks.lowOffset) : high);
      lags.push({ topic, partition, position, highWatermark: high, lag: Math.max(0, high - position) });
    }
    return lags;
  }

  close(): Promise<void> {
    this.closed ??= this.shutdown();
    return this.closed;
  }

  private async run(): Promise<void> {
    const max = this.settings.maxBatchMessages;
    while (this.state === 'running') {
      if (this.rebalances.length > 0) {
        await this.applyRebalances();
        continue;
      }
      if (this.held.size > 0 && (await this.deliverReleased(max)) !== 'none') continue;
      const raw = await this.consume(max);
      if (raw === undefined) {
        await this.backOff(this.failures + 1);
        continue;
      }
      if (raw.length === 0 || this.state !== 'running') continue;
      let batch = toIncomingMessages(raw);
      // A partition resumed while consume() ran: its held (older) messages go first. If they fail,
      // the newer ones must not overtake them: read those partitions again too.
      if (this.held.size > 0 && (await this.deliverReleased(max)) === 'failed') {
        await this.rewind(batch, false);
        continue;
      }
      if (this.pauses.active) batch = this.held.holdPaused(batch, this.pauses);
      if (batch.length > 0 && this.state === 'running') await this.deliver(batch);
    }
  }

  /** undefined: consume failed (reported). */
  private consume(max: number): Promise<Kafka.Message[] | undefined> {
    return new Promise((resolve) => {
      try {
        this.consuming = true;
        this.handle.consume(max, (err, messages) => {
          this.consuming = false;
          this.applyDeferredDriverCalls();
          if (err && err.code === Kafka.CODES.ERRORS.ERR_UNKNOWN_TOPIC_OR_PART) {
            // A subscribed topic that nobody has produced to yet: normal at start-up, not an error.
            // Wait as long as an empty consume() would, so the loop does not spin until it appears.
            this.logger.debug({ err: err.message }, 'subscribed topic does not exist yet');
            setTimeout(() => resolve([]), CONSUME_TIMEOUT_MS);
          } else if (err) {
            this.reportError(wrapRdkafkaError(err, {}, 'consume'));
            resolve(undefined);
          } else {
            resolve(messages);
          }
        });
      } catch (err) {
        this.consuming = false;
        this.applyDeferredDriverCalls();
        this.reportError(wrapRdkafkaError(err, {}, 'consume'));
        resolve(undefined);
      }
    });
  }

  private async deliverReleased(max: number): Promise<'none' | 'delivered' | 'failed'> {
    const released = this.held.release(this.pauses, max);
    if (released.length === 0) return 'none';
    return (await this.deliver(released)) ? 'delivered' : 'failed';
  }

  /** false: onBatch rejected (reported, and its partitions rewound). */
  private async deliver(batch: IncomingMessage[]): Promise<boolean> {
    try {
      await this.settings.onBatch(batch);
      this.failures = 0;
      return true;
    } catch (err) {
      this.failures++;
      this.reportError(err);
      await this.rewind(batch, true);
      return false;
    }
  }

  /** After a failed onBatch: read the batch's partitions again from their committed offsets. */
  private async rewind(batch: IncomingMessage[], backOff: boolean): Promise<void> {
    const firsts = new Map<string, TopicPartitionOffset>();
    for (const m of batch) {
      const key = partitionKey(m.topic, m.partition);
      if (!firsts.has(key)) firsts.set(key, { topic: m.topic, partition: m.partition, offset: m.offset });
    }
    const targets = [...firsts.values()];
    this.held.drop(targets);
    if (backOff && !(await this.backOff(this.failures))) return;
    try {
      const commits = await committed(this.handle, targets);
      for (const target of targets) {
        if (!this.isAssigned(target)) continue;
        const offset = commits.find((c) => c.topic === target.topic && c.partition === target.partition)?.offset ?? target.offset;
        await seek(this.handle, { ...target, offset });
        this.logger.info({ topic: target.topic, partition: target.partition, offset }, 'rewound after a failed batch');
      }
    } catch (err) {
      this.reportError(wrapRdkafkaError(err, {}, 'rewind after a failed batch'));
    }
  }

  /** Sleeps the backoff for `attempt`; false when close() interrupted it. */
  private async backOff(attempt: number): Promise<boolean> {
    try {
      await sleep(backoffDelayMs(attempt, RETRY_BACKOFF), this.stopping.signal);
      return true;
    } catch {
      return false;
    }
  }

  /** Driver callback: must not throw, and must not run application code (the loop does that). */
  private onRebalance(err: Kafka.LibrdKafkaError | undefined, assignment: Kafka.TopicPartition[]): void {
    try {
      const code = err?.code;
      let event: RebalanceEvent;
      if (code === ERR_ASSIGN_PARTITIONS) event = { kind: 'assign', partitions: toTopicPartitions(assignment) };
      else if (code === ERR_REVOKE_PARTITIONS) event = { kind: 'revoke', partitions: toTopicPartitions(assignment) };
      else {
        // A failed rebalance: librdkafka wants the whole assignment dropped; the member then rejoins.
        this.reportError(wrapRdkafkaError(err ?? new Error('rebalance failed'), {}, 'rebalance'));
        event = { kind: 'revoke', partitions: this.assignment() };
      }
      // Empty events too: librdkafka waits for an incremental (un)assign call after each of them.
      if (this.state === 'running' || this.state === 'closing') this.rebalances.push(event);
      else this.applyToDriver(event);
    } catch (thrown) {
      this.reportError(thrown);
    }
  }

  private async applyRebalances(): Promise<void> {
    for (let event = this.rebalances.shift(); event; event = this.rebalances.shift()) {
      if (event.kind === 'revoke') {
        this.held.drop(event.partitions);
        // librdkafka holds the rejoin until unassign(): the handler can still flush and commit.
        await callPartitionHook(this.settings.onRevoke, event.partitions, (err) => this.reportError(err));
        this.applyToDriver(event);
      } else {
        this.applyToDriver(event);
        this.loadStartPositions(event.partitions);
        await callPartitionHook(this.settings.onAssign, event.partitions, (err) => this.reportError(err));
      }
    }
  }

  private applyToDriver(event: RebalanceEvent): void {
    const { kind, partitions } = event;
    try {
      if (kind === 'revoke') {
        const gone = new Set(partitions.map((p) => partitionKey(p.topic, p.partition)));
        this.assigned = this.assigned.filter((p) => !gone.has(partitionKey(p.topic, p.partition)));
        for (const key of gone) this.startPositions.delete(key);
        this.handle.incrementalUnassign(partitions);
      } else {
        const known = new Set(this.assigned.map((p) => partitionKey(p.topic, p.partition)));
        this.assigned = [...this.assigned, ...partitions.filter((p) => !known.has(partitionKey(p.topic, p.partition)))];
        this.handle.incrementalAssign(partitions);
        // Pauses outlive rebalances: re-apply them to what was just assigned.
        this.driver(
          'pause',
          partitions.filter((p) => this.pauses.isPaused(p.topic, p.partition)),
        );
      }
    } catch (err) {
      // While leaving, librdkafka may ask to revoke what close() already unassigned.
      if (this.state === 'leaving') this.logger.debug({ err }, `${kind} while leaving`);
      else this.reportError(wrapRdkafkaError(err, {}, kind === 'revoke' ? 'unassign' : 'assign'));
    }
  }

  private loadStartPositions(partitions: TopicPartition[]): void {
    committed(this.handle, partitions).then(
      (offsets) => {
        for (const { topic, partition, offset } of offsets) this.startPositions.set(partitionKey(topic, partition), offset);
      },
      (err: unknown) => this.logger.debug({ err }, 'could not load committed offsets for lag'),
    );
  }

  /**
   * librdkafka rewinds a paused partition's fetch position to the application
   * position. While consume() runs on node-rdkafka's worker thread, that
   * position can lag a message the worker already took, which is then fetched
   * and delivered a second time (seen as one duplicated offset in 400k under
   * backpressure). So pause/resume reach the driver only between consume() calls.
   */
  private driver(action: 'pause' | 'resume', partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0 || this.state === 'closed') return;
    if (this.consuming) {
      this.deferredDriverCalls.push({ action, partitions: [...partitions] });
      return;
    }
    this.applyDriver(action, partitions);
  }

  private applyDeferredDriverCalls(): void {
    for (const { action, partitions } of this.deferredDriverCalls.splice(0)) this.applyDriver(action, partitions);
  }

  private applyDriver(action: 'pause' | 'resume', partitions: readonly TopicPartition[]): void {
    if (this.state === 'closed') return;
    try {
      if (action === 'pause') this.handle.pause(toTopicPartitions(partitions));
      else this.handle.resume(toTopicPartitions(partitions));
    } catch (err) {
      this.reportError(wrapRdkafkaError(err, {}, action));
    }
  }

  private isAssigned(p: TopicPartition): boolean {
    return this.assigned.some((a) => a.partition === p.partition && a.topic === p.topic);
  }

  private reportError(err: unknown): void {
    report(this.settings.onError, this.logger, err);
  }

  private async shutdown(): Promise<void> {
    this.state = 'closing';
    this.stopping.abort();
    await this.loop;
    await this.applyRebalances();
    this.state = 'leaving';
    const partitions = this.assignment();
    this.held.clear();
    await callPartitionHook(this.settings.onRevoke, partitions, (err) => this.reportError(err));
    if (partitions.length > 0) this.applyToDriver({ kind: 'revoke', partitions });
    await this.disconnect();
    this.state = 'closed';
    this.onClosed();
  }

  private disconnect(): Promise<void> {
    return disconnect(this.handle, CLOSE_TIMEOUT_MS, (problem, err) => this.logger.warn({ err }, `consumer ${problem}`));
  }
}
