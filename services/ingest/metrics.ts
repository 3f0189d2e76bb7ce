import { counter, gauge, histogram, type Registry } from '../common/index.js';

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;

/** What the ingest exposes on /metrics: throughput, batch latency, lag, dead letters, outages. */
export function createIngestMetrics(registry: Registry) {
  return {
    messages: counter(registry, 'driftloop_ingest_messages_total', 'Messages consumed, by topic and outcome (stored, dead_lettered, duplicate).', ['topic', 'outcome']),
    rows: counter(registry, 'driftloop_ingest_rows_total', 'Rows inserted into ClickHouse, by table.', ['table']),
    rowsPerSecond: gauge(registry, 'driftloop_ingest_rows_per_second', 'Rows stored per second over the last 10 s.'),
    deadLetters: counter(registry, 'driftloop_ingest_dead_letters_total', 'Messages sent to the dead-letter topic, by source topic and error code.', ['topic', 'code']),
    batchSeconds: histogram(registry, 'driftloop_ingest_batch_seconds', 'Time to store one batch: dead letters, inserts, commit.', [], [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
    batchRows: histogram(registry, 'driftloop_ingest_batch_rows', 'Rows per batch.', [], [10, 100, 1000, 10_000, 50_000, 100_000, 250_000]),
    insertRetries: counter(registry, 'driftloop_ingest_insert_retries_total', 'Failed attempts to store a batch (ClickHouse or Kafka unavailable).'),
    lag: gauge(registry, 'driftloop_ingest_lag_messages', 'Messages behind the end of each partition.', ['topic', 'partition']),
    paused: gauge(registry, 'driftloop_ingest_paused', '1 while consumption is paused (backpressure or an outage).'),
    stalled: gauge(registry, 'driftloop_consumer_stalled', '1 for each partition the consumer has not moved on for INGEST_STALL_TIMEOUT_MS although messages wait in it.', ['service', 'topic', 'partition']),
    available: gauge(registry, 'driftloop_ingest_clickhouse_available', '0 while storing, the offset check or a schema lookup is failing and being retried.'),
  };
}
