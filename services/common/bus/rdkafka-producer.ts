import Kafka from 'node-rdkafka';
import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { sleep } from '../retry.js';
import { checkHeaderValues } from './header-values.js';
import type { PartitionCounts } from './partition-counts.js';
import { connect, disconnect } from './rdkafka-calls.js';
import { forwardRdkafkaLog, type RdkafkaLogLine } from './rdkafka-log.js';
import { ERR_QUEUE_FULL, rdkafkaErrorCode, wrapRdkafkaError } from './rdkafka-errors.js';
import type { OutgoingMessage, Producer } from './types.js';

/** How often delivery reports are collected while messages are in flight. */
const POLL_INTERVAL_MS = 5;
/** How long `flush` and `close` wait for outstanding messages. */
const FLUSH_TIMEOUT_MS = 30_000;

/**
 * One `send` call: every message carries it as its opaque, so a delivery
 * report settles the call without a closure or promise per message.
 */
class SendTracker {
  pending: number;
  error: KafkaError | undefined;
  readonly done: Promise<void>;
  private resolve!: () => void;
  private reject!: (err: KafkaError) => void;

  constructor(count: number) {
    this.pending = count;
    this.done = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  settle(count: number, error: KafkaError | undefined): void {
    if (error && !this.error) this.error = error;
    this.pending -= count;
    if (this.pending > 0) return;
    if (this.error) this.reject(this.error);
    else this.resolve();
  }
}

function toRdkafkaHeaders(headers: Record<string, string | Buffer>): Kafka.MessageHeader[] {
  const list: Kafka.MessageHeader[] = [];
  for (const name in headers) list.push({ [name]: headers[name]! });
  return list;
}

export class RdkafkaProducer implements Producer {
  private outstanding = 0;
  private poller: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly handle: Kafka.Producer,
    private readonly partitions: PartitionCounts,
    private readonly logger: Logger,
  ) {
    handle.on('delivery-report', (err, report) => this.onDelivery(err, report));
  }

  static async connect(config: { global: Kafka.ProducerGlobalConfig; topic: Kafka.ProducerTopicConfig }, partitions: PartitionCounts, logger: Logger): Promise<RdkafkaProducer> {
    const handle = new Kafka.Producer(config.global, config.topic);
    handle.on('event.error', (err) => logger.warn({ err: wrapRdkafkaError(err) }, 'producer error'));
    handle.on('event.log', (line: RdkafkaLogLine) => forwardRdkafkaLog(logger, line));
    await connect(handle, 'producer');
    return new RdkafkaProducer(handle, partitions, logger);
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new KafkaError('producer is closed', { topic }, { retriable: false });
    if (messages.length === 0) return;
    checkHeaderValues(topic, messages);
    await this.partitions.check(topic, messages);
    const tracker = new SendTracker(messages.length);
    let waits = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const headers = m.headers ? toRdkafkaHeaders(m.headers) : undefined;
      for (;;) {
        try {
          this.handle.produce(topic, m.partition ?? null, m.value, m.key, m.timestamp ?? null, tracker, headers);
          this.outstanding++;
          // Cheap when already running; deliveries may have drained `outstanding` to 0 while we waited for room.
          this.startPolling();
          break;
        } catch (err) {
          if (rdkafkaErrorCode(err) === ERR_QUEUE_FULL) {
            // librdkafka's local queue is full: serve delivery reports and try the same message again.
            this.handle.poll();
            await sleep(POLL_INTERVAL_MS);
            waits++;
            continue;
          }
          // Everything before message i is on its way; the call fails once those are reported.
          tracker.settle(messages.length - i, wrapRdkafkaError(err, { topic, partition: m.partition }, 'produce'));
          return tracker.done;
        }
      }
    }
    if (waits > 0) this.logger.debug({ topic, messages: messages.length, waits }, 'local queue was full; waited for deliveries');
    return tracker.done;
  }

  async flush(): Promise<void> {
    if (this.outstanding === 0) return;
    await new Promise<void>((resolve, reject) => {
      this.handle.flush(FLUSH_TIMEOUT_MS, (err) =>
        err ? reject(wrapRdkafkaError(err, {}, `flush (${this.outstanding} messages outstanding)`)) : resolve(),
      );
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.flush();
    } catch (err) {
      this.logger.error({ err }, 'producer closed with messages not acknowledged');
    }
    this.stopPolling();
    await disconnect(this.handle, FLUSH_TIMEOUT_MS, (problem, err) => this.logger.warn({ err }, `producer ${problem}`));
  }

  private onDelivery(err: Kafka.LibrdKafkaError | null | undefined, report: Kafka.DeliveryReport): void {
    this.outstanding--;
    if (this.outstanding === 0) this.stopPolling();
    const tracker = report.opaque as SendTracker | undefined;
    if (!tracker) return;
    tracker.settle(1, err ? wrapRdkafkaError(err, { topic: report.topic, partition: report.partition }, 'delivery') : undefined);
  }

  private startPolling(): void {
    this.poller ??= setInterval(() => this.handle.poll(), POLL_INTERVAL_MS);
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    this.poller = undefined;
  }
}
