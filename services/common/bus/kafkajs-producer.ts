import kafkajs from 'kafkajs';
import { KafkaError } from '../errors.js';
import type { Logger } from '../logger.js';
import { wrapKafkajsError } from './kafkajs-errors.js';
import { checkHeaderValues } from './header-values.js';
import type { PartitionCounts } from './partition-counts.js';
import type { OutgoingMessage, Producer } from './types.js';

const { Partitioners } = kafkajs;

/**
 * Messages per produce request. kafkajs encodes one request per broker per
 * send, and one of 50k small messages took ~3 s against the mock where 5k
 * chunks sent one after another took ~0.8 s; sequential chunks keep order.
 */
const SEND_CHUNK_MESSAGES = 5_000;

function toKafkajsMessage(m: OutgoingMessage): kafkajs.Message {
  return {
    key: m.key,
    value: m.value,
    headers: m.headers,
    partition: m.partition,
    timestamp: m.timestamp === undefined ? undefined : String(m.timestamp),
  };
}

/**
 * kafkajs producer with acks=all and one request in flight per broker, so a
 * retried request cannot overtake the next one. Idempotent where the cluster
 * allows: kafkajs fetches the producer id from the controller, and the
 * librdkafka mock cluster reports no usable controller (id 0 with brokers
 * 1..n), so there it falls back to a plain producer, with a warning.
 */
export class KafkajsProducer implements Producer {
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  private constructor(
    private readonly producer: kafkajs.Producer,
    private readonly partitions: PartitionCounts,
    private readonly logger: Logger,
  ) {}

  static async connect(kafka: kafkajs.Kafka, partitions: PartitionCounts, logger: Logger): Promise<KafkajsProducer> {
    const config = { maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner };
    const idempotent = kafka.producer({ ...config, idempotent: true });
    try {
      await idempotent.connect();
      return new KafkajsProducer(idempotent, partitions, logger);
    } catch (err) {
      if ((err as { name?: unknown }).name !== 'KafkaJSBrokerNotFound') throw wrapKafkajsError(err, {}, 'producer connect');
      await idempotent.disconnect().catch(() => undefined);
      logger.warn({ err: (err as Error).message }, 'cluster has no usable controller for an idempotent kafkajs producer; using a non-idempotent one (acks=all, one request in flight)');
    }
    const plain = kafka.producer(config);
    try {
      await plain.connect();
    } catch (err) {
      throw wrapKafkajsError(err, {}, 'producer connect');
    }
    return new KafkajsProducer(plain, partitions, logger);
  }

  async send(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    if (this.closed) throw new KafkaError('producer is closed', { topic }, { retriable: false });
    if (messages.length === 0) return;
    checkHeaderValues(topic, messages);
    await this.partitions.check(topic, messages);
    const sending = this.sendChunks(topic, messages);
    this.inFlight.add(sending);
    try {
      await sending;
    } finally {
      this.inFlight.delete(sending);
    }
  }

  async flush(): Promise<void> {
    await Promise.allSettled([...this.inFlight]);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.flush();
    try {
      await this.producer.disconnect();
    } catch (err) {
      this.logger.warn({ err }, 'producer disconnect failed');
    }
  }

  private async sendChunks(topic: string, messages: readonly OutgoingMessage[]): Promise<void> {
    for (let start = 0; start < messages.length; start += SEND_CHUNK_MESSAGES) {
      const chunk = messages.slice(start, start + SEND_CHUNK_MESSAGES).map(toKafkajsMessage);
      try {
        await this.producer.send({ topic, acks: -1, messages: chunk });
      } catch (err) {
        throw wrapKafkajsError(err, { topic }, 'send');
      }
    }
  }
}
