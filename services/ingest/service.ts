import {
  DecodeError,
  DriftloopError,
  ShutdownError,
  createStallWatch,
  errorMessage,
  readRowBinaryString,
  retry,
  systemClock,
  type ClickHouse,
  type Clock,
  type Consumer,
  type EventBus,
  type EventCodec,
  type IncomingMessage,
  type Logger,
  type PartitionLag,
  type Registry,
  type RetryOptions,
  type SchemaCache,
  type StalledPartition,
  type TopicPartition,
} from '../common/index.js';
import { topicName } from '../../schemas/index.js';
import { IngestBatch } from './batch.js';
import type { IngestSettings } from './config.js';
import { sendDeadLetters } from './dead-letters.js';
import { createIngestMetrics } from './metrics.js';
import { createOffsetFence } from './offset-fence.js';
import { applyRetention } from './retention.js';
import { createRowDecoder, type RowDecoder } from './row-decoder.js';
import { storeBatch } from './store-batch.js';
import { tableSpec, type TableSpec } from './tables.js';

export interface IngestDeps {
  bus: EventBus;
  clickhouse: ClickHouse;
  schemas: SchemaCache;
  /** Encodes dead letters (Confluent Avro through the registry). */
  codec: EventCodec;
  logger: Logger;
  metrics: Registry;
  settings: IngestSettings;
  clock?: Clock;
  /** Called when storing fails in a way retrying cannot fix (a bug); the process should exit and restart. */
  onFatal?: (err: Error) => void;
}

export interface IngestStats {
  /** Messages handed to the service by the consumer (stored or not yet). */
  received: number;
  stored: number;
  deadLettered: number;
  duplicates: number;
  batches: number;
  paused: boolean;
}

export interface IngestService {
  start(): Promise<void>;
  /** Stores and commits what it holds, then leaves the group (SIGTERM path). */
  stop(): Promise<void>;
  stats(): IngestStats;
  /** Throws while the service is not consuming or inserts are failing (for /readyz). */
  checkReady(): void;
  /** Position, high watermark and lag of every assigned partition. */
  lag(): PartitionLag[];
  /** Holds consumption (operator request, e.g. during ClickHouse maintenance) until `resume`; what is held is still stored. */
  pause(): void;
  resume(): void;
}

type PauseReason = 'backpressure' | 'outage' | 'operator';
/** What can wait out an outage: storing a batch (ClickHouse, DLQ), the offset check (ClickHouse), a schema lookup (registry). */
type Operation = 'store' | 'offset check' | 'schema lookup';

function* values(messages: readonly IncomingMessage[]): Iterable<Buffer | null> {
  for (const m of messages) yield m.value;
}

interface Route {
  spec: TableSpec;
  decoder: RowDecoder;
}

/**
 * Kafka → ClickHouse for the data topics. One batch fills while the previous
 * one is being stored; when both are busy, consumption pauses (backpressure)
 * and resumes as soon as a store finishes, so memory stays bounded however
 * large the backlog.
 */
export function createIngestService(deps: IngestDeps): IngestService {
  const { bus, clickhouse, settings, clock = systemClock } = deps;
  const log = deps.logger.child({ service: 'ingest' });
  const metrics = createIngestMetrics(deps.metrics);
  const routes = new Map<string, Route>(
    settings.topics.map((t) => {
      const spec = tableSpec(t);
      return [topicName(settings.topicPrefix, t), { spec, decoder: createRowDecoder(spec, deps.schemas) }];
    }),
  );
  const routeOf = (topic: string): Route => {
    const r = routes.get(topic);
    if (!r) throw new Error(`no table for topic ${topic}`);
    return r;
  };
  const fence = createOffsetFence(clickhouse, (topic) => routeOf(topic).spec);
  const dlqTopic = topicName(settings.topicPrefix, 'dlq');
  const stopping = new AbortController();
  const pauseReasons = new Set<PauseReason>();
  const totals: IngestStats = { received: 0, stored: 0, deadLettered: 0, duplicates: 0, batches: 0, paused: false };
  const throughput: { at: number; rows: number }[] = [];

  let consumer: Consumer | undefined;
  let current = new IngestBatch();
  let waiting: IngestBatch | undefined;
  let inFlight: Promise<void> | undefined;
  let tick: NodeJS.Timeout | undefined;
  /** Operations currently failing and being retried; consumption stays paused while any is. */
  const failing = new Set<Operation>();

  const setPaused = (reason: PauseReason, on: boolean): void => {
    const before = pauseReasons.size > 0;
    if (on) pauseReasons.add(reason);
    else pauseReasons.delete(reason);
    const after = pauseReasons.size > 0;
    if (before === after || !consumer) return;
    if (after) consumer.pause();
    else consumer.resume();
    totals.paused = after;
    metrics.paused.set(after ? 1 : 0);
    log.info({ reasons: [...pauseReasons] }, after ? 'consumption paused' : 'consumption resumed');
  };

  const outageRetry = (what: Operation): RetryOptions => ({
    retries: Infinity,
    initialDelayMs: 200,
    maxDelayMs: settings.retryMaxDelayMs,
    signal: stopping.signal,
    shouldRetry: (err) => !(err instanceof TypeError || err instanceof RangeError || err instanceof ShutdownError),
    onRetry: (err, attempt, delayMs) => {
      failing.add(what);
      metrics.available.set(0);
      setPaused('outage', true);
      if (what === 'store') metrics.insertRetries.inc();
      log.warn({ err: errorMessage(err), attempt, delayMs }, `${what} failed; retrying`);
    },
  });

  /** `what` succeeded: it no longer holds consumption back (another failing operation still may). */
  const recovered = (...what: Operation[]): void => {
    const before = failing.size;
    for (const w of what) failing.delete(w);
    if (before === 0 || failing.size > 0) return;
    metrics.available.set(1);
    setPaused('outage', false);
    log.info('ClickHouse, Kafka and the registry reachable again');
  };

  const store = async (batch: IngestBatch): Promise<void> => {
    await storeBatch(batch, {
      clickhouse,
      consumer: consumer!,
      groupId: settings.groupId,
      logger: log,
      metrics,
      outageRetry: outageRetry('store'),
      sendDeadLetters: (entries) =>
        sendDeadLetters(entries, { bus, codec: deps.codec, dlqTopic, groupId: settings.groupId, now: clock.now(), maxBytes: settings.deadLetterMaxBytes ?? 256 * 1024, logger: log }),
    });
    recovered('store');
    totals.batches++;
    totals.stored += batch.rows;
    totals.deadLettered += batch.deadLetters.length;
    totals.duplicates += batch.duplicates;
    for (const t of batch.tables.values()) {
      if (t.rows > 0) metrics.messages.inc({ topic: t.topics[0]!, outcome: 'stored' }, t.rows);
    }
    for (const d of batch.deadLetters) metrics.messages.inc({ topic: d.message.topic, outcome: 'dead_lettered' });
  };

  const startStore = (batch: IngestBatch): void => {
    inFlight = store(batch)
      .catch((err: Error) => {
        if (stopping.signal.aborted) return;
        log.fatal({ err }, 'cannot store batch');
        deps.onFatal?.(err);
      })
      .finally(() => {
        inFlight = undefined;
        const next = waiting;
        waiting = undefined;
        if (next) startStore(next);
        setPaused('backpressure', false);
      });
  };

  /** Closes the filling batch: store it now, or queue it behind the one being stored and pause. */
  const cut = (): void => {
    if (current.isEmpty) return;
    if (!inFlight) {
      startStore(current);
      current = new IngestBatch();
    } else if (!waiting) {
      waiting = current;
      current = new IngestBatch();
      setPaused('backpressure', true);
    }
  };

  const drain = async (): Promise<void> => {
    cut();
    while (inFlight || waiting || !current.isEmpty) {
      if (inFlight) await inFlight;
      else cut();
    }
  };

  const append = (m: IncomingMessage): void => {
    const batch = current;
    batch.track(m, clock.now());
    const { spec, decoder } = routeOf(m.topic);
    const t = batch.rowsOf(spec);
    const start = t.writer.length;
    let error: DriftloopError | undefined;
    try {
      decoder.write(m.value, t.writer);
    } catch (err) {
      t.writer.truncate(start);
      error = err instanceof DriftloopError ? err : new DecodeError(`cannot decode: ${errorMessage(err)}`, { cause: err });
      if (!(err instanceof DriftloopError)) log.error({ err, topic: m.topic, partition: m.partition, offset: m.offset }, 'unexpected decode failure');
    }
    // The contract puts event_id first, so a decoded row starts with it.
    if (fence.isStored(m, () => (error ? undefined : readRowBinaryString(t.writer.bytes(), start)))) {
      t.writer.truncate(start);
      batch.duplicates++;
      metrics.messages.inc({ topic: m.topic, outcome: 'duplicate' });
      return;
    }
    if (error) {
      batch.deadLetters.push({ message: m, error });
      return;
    }
    t.writer.string(m.topic);
    t.writer.uint32(m.partition);
    t.writer.uint64(m.offset);
    t.rows++;
    t.rowEnds.push(t.writer.length);
    t.topics.push(m.topic);
    t.partitions.push(m.partition);
    t.offsets.push(m.offset);
    batch.rows++;
    batch.bytes += t.writer.length - start;
  };

  const onBatch = async (messages: IncomingMessage[]): Promise<void> => {
    if (messages.length === 0) return;
    await retry(() => fence.prepare(messages), outageRetry('offset check'));
    const ids = deps.schemas.unresolved(values(messages));
    if (ids.length > 0) await retry(() => deps.schemas.load(ids), outageRetry('schema lookup'));
    recovered('offset check', 'schema lookup');
    totals.received += messages.length;
    for (const m of messages) append(m);
    if (current.rows >= settings.batchMaxRows || current.bytes >= settings.batchMaxBytes || current.deadLetters.length >= settings.batchMaxRows) cut();
  };

  // Processing time: it watches this process's progress, not the events.
  const stallWatch = createStallWatch(settings.stallTimeoutMs ?? 120_000);
  let stalled: StalledPartition[] = [];

  const onTick = (): void => {
    if (!current.isEmpty && clock.now() - current.firstAt >= settings.batchMaxWaitMs) cut();
    const now = clock.now();
    throughput.push({ at: now, rows: totals.stored });
    while (throughput.length > 2 && now - throughput[0]!.at > 10_000) throughput.shift();
    const first = throughput[0]!;
    if (now > first.at) metrics.rowsPerSecond.set(((totals.stored - first.rows) * 1000) / (now - first.at));
    const lags = consumer?.lag() ?? [];
    for (const l of lags) metrics.lag.set({ topic: l.topic, partition: String(l.partition) }, l.lag);
    const nowStalled = stallWatch.observe(lags, pauseReasons.size > 0, now);
    for (const s of stalled) if (!nowStalled.some((n) => n.topic === s.topic && n.partition === s.partition)) metrics.stalled.set({ service: 'ingest', topic: s.topic, partition: String(s.partition) }, 0);
    for (const s of nowStalled) metrics.stalled.set({ service: 'ingest', topic: s.topic, partition: String(s.partition) }, 1);
    if (nowStalled.length > 0 && stalled.length === 0) log.error({ stalled: nowStalled }, 'consumer stalled: no progress although messages wait');
    stalled = nowStalled;
  };

  return {
    async start() {
      if (settings.retentionDays) await applyRetention(clickhouse, settings.retentionDays, log);
      metrics.available.set(1);
      consumer = await bus.consumer({
        groupId: settings.groupId,
        topics: [...routes.keys()],
        fromBeginning: true,
        sessionTimeoutMs: settings.sessionTimeoutMs,
        onBatch,
        onRevoke: async (partitions: TopicPartition[]) => {
          await drain();
          fence.forget(partitions);
        },
        onError: (err) => log.error({ err }, 'consumer error'),
      });
      if (pauseReasons.size > 0) consumer.pause();
      tick = setInterval(onTick, Math.max(10, Math.min(250, settings.batchMaxWaitMs / 4)));
      log.info({ topics: [...routes.keys()], groupId: settings.groupId }, 'ingest started');
    },

    async stop() {
      if (tick) clearInterval(tick);
      const c = consumer;
      if (!c) return;
      const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, settings.shutdownTimeoutMs, 'timeout').unref());
      // close() revokes our partitions, and onRevoke drains: everything held is stored and committed.
      const closed = await Promise.race([c.close().then(() => 'closed' as const), timeout]);
      if (closed === 'timeout') {
        log.error({ timeoutMs: settings.shutdownTimeoutMs }, 'shutdown timed out; uncommitted events will be re-read (and skipped if stored)');
        stopping.abort(new ShutdownError());
      }
      consumer = undefined;
      log.info(totals, 'ingest stopped');
    },

    stats: () => ({ ...totals }),
    lag: () => consumer?.lag() ?? [],
    pause: () => setPaused('operator', true),
    resume: () => setPaused('operator', false),

    checkReady() {
      if (!consumer) throw new Error('not consuming');
      if (failing.size > 0) throw new Error(`inserts are failing; retrying (${[...failing].join(', ')})`);
      const first = stalled[0];
      if (first) {
        throw new Error(`consumer stalled: ${first.topic}[${first.partition}] has not moved from offset ${first.position} for ${Math.round(first.stalledMs / 1000)} s with ${first.lag} messages waiting${stalled.length > 1 ? ` (and ${stalled.length - 1} more partitions)` : ''}`);
      }
    },
  };
}
