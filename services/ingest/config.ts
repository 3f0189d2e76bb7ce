import { opt } from '../common/index.js';
import type { RetentionDays } from './retention.js';

function retentionOption(table: 'features' | 'predictions' | 'labels') {
  return opt.int({
    env: `RETENTION_DAYS_${table.toUpperCase()}`,
    doc: `Days the ${table} table keeps a row, counted from when it was stored (a replay of old events is kept as long as live ones); 0 keeps rows forever. Applied by the ingest at start as the table's TTL.`,
    default: 0,
    min: 0,
    max: 36_500,
  });
}

/** Options of the ingest service (README "Configuration" lists them with the common ones). */
export const ingestOptions = {
  ingestGroupId: opt.string({ env: 'INGEST_GROUP_ID', doc: 'Kafka consumer group of the ingest service.', default: 'driftloop-ingest' }),
  ingestKafkaClient: opt.enum({
    env: 'INGEST_KAFKA_CLIENT',
    doc: 'Kafka client the ingest consumes with. kafkajs by measurement (npm run bench): on the embedded broker it drained 85k events/s at 13 us CPU each, rdkafka 24k/s at 21 us.',
    values: ['rdkafka', 'kafkajs'] as const,
    default: 'kafkajs',
  }),
  ingestTopics: opt.list({
    env: 'INGEST_TOPICS',
    doc: 'Data topics to ingest (names without the prefix).',
    default: ['features', 'predictions', 'labels'],
    item: /^(features|predictions|labels)$/,
  }),
  ingestBatchMaxRows: opt.int({
    env: 'INGEST_BATCH_MAX_ROWS',
    doc: 'Rows per ClickHouse insert, at most. Bigger batches insert faster and use more memory.',
    default: 100_000,
    min: 1,
  }),
  ingestBatchMaxBytes: opt.int({
    env: 'INGEST_BATCH_MAX_BYTES',
    doc: 'Encoded bytes per insert, at most.',
    default: 64 * 1024 * 1024,
    min: 1024,
  }),
  ingestBatchMaxWaitMs: opt.int({
    env: 'INGEST_BATCH_MAX_WAIT_MS',
    doc: 'Longest an event waits in a partly filled batch before it is inserted.',
    default: 1000,
    min: 1,
  }),
  ingestRetryMaxDelayMs: opt.int({
    env: 'INGEST_RETRY_MAX_DELAY_MS',
    doc: 'Longest wait between retries while ClickHouse or the registry is unavailable.',
    default: 10_000,
    min: 10,
  }),
  ingestSessionTimeoutMs: opt.int({
    env: 'INGEST_SESSION_TIMEOUT_MS',
    doc: 'Kafka group session timeout: how soon the partitions of a crashed ingest member move to the others.',
    default: 30_000,
    min: 3000,
    max: 300_000,
  }),
  ingestDeadLetterMaxBytes: opt.int({
    env: 'INGEST_DEAD_LETTER_MAX_BYTES',
    doc: "Most bytes of a bad message's key, value and headers its dead letter keeps; the rest is cut off (the sizes are recorded, the original stays in Kafka). Keep it under the broker's message.max.bytes.",
    default: 256 * 1024,
    min: 0,
    max: 64 * 1024 * 1024,
  }),
  retentionDaysFeatures: retentionOption('features'),
  retentionDaysPredictions: retentionOption('predictions'),
  retentionDaysLabels: retentionOption('labels'),
  ingestStallTimeoutMs: opt.int({
    env: 'INGEST_STALL_TIMEOUT_MS',
    doc: 'A partition whose position has not moved for this long while messages wait in it (and consumption is not paused) counts as stalled: driftloop_consumer_stalled and /readyz say so.',
    default: 120_000,
    min: 1000,
  }),
  ingestShutdownTimeoutMs: opt.int({
    env: 'INGEST_SHUTDOWN_TIMEOUT_MS',
    doc: 'How long SIGTERM waits for the last batch to be stored and committed.',
    default: 30_000,
    min: 100,
  }),
};

export interface IngestSettings {
  groupId: string;
  topics: readonly ('features' | 'predictions' | 'labels')[];
  topicPrefix: string;
  batchMaxRows: number;
  batchMaxBytes: number;
  batchMaxWaitMs: number;
  retryMaxDelayMs: number;
  shutdownTimeoutMs: number;
  /** @default 30_000 */
  sessionTimeoutMs?: number;
  /** Most bytes of the original a dead letter keeps. @default 262_144 */
  deadLetterMaxBytes?: number;
  /** No progress for this long with messages waiting counts as stalled. @default 120_000 */
  stallTimeoutMs?: number;
  /** Days each table keeps rows (0: forever), applied at start. Omitted: the tables' TTLs are left as they are. */
  retentionDays?: RetentionDays;
}
