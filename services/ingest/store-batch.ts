import {
  ClickHouseError,
  DATA_ERROR_CODES,
  errorMessage,
  isRetriable,
  retry,
  type ClickHouse,
  type Consumer,
  type Logger,
  type RetryOptions,
} from '../common/index.js';
import type { DeadLetterEntry, IngestBatch, TableRows } from './batch.js';
import type { IngestMetrics } from './metrics.js';

export interface StoreDeps {
  clickhouse: ClickHouse;
  consumer: Consumer;
  groupId: string;
  logger: Logger;
  metrics: IngestMetrics;
  /** Sends dead letters and resolves once Kafka acknowledged them. */
  sendDeadLetters(entries: readonly DeadLetterEntry[]): Promise<void>;
  /** Retries while ClickHouse or Kafka is unavailable; the service pauses consumption meanwhile. */
  outageRetry: RetryOptions;
}

/** ClickHouse refused the rows themselves: retrying the same bytes cannot help, splitting can. */
export function isDataError(err: unknown): boolean {
  return err instanceof ClickHouseError && DATA_ERROR_CODES.has(err.context.clickhouseCode ?? -1);
}

/**
 * Stores one batch: inserts every table's rows idempotently, dead-letters what
 * could not be decoded or what ClickHouse refused, and only then commits the
 * batch's offsets. Waits out outages (retrying with backoff) rather than
 * losing or skipping anything.
 */
export async function storeBatch(batch: IngestBatch, deps: StoreDeps): Promise<void> {
  const { clickhouse, metrics } = deps;
  const started = performance.now();
  const deadLetters = [...batch.deadLetters];

  const insertRows = async (t: TableRows, from: number, to: number, token: string): Promise<void> => {
    const payload = t.writer.bytes().subarray(from === 0 ? 0 : t.rowEnds[from - 1], t.rowEnds[to - 1]);
    try {
      await retry(
        () => clickhouse.insertRowBinary(t.spec.table, t.spec.insertColumns, payload, { dedupToken: token }),
        { ...deps.outageRetry, shouldRetry: (err) => !isDataError(err) && (deps.outageRetry.shouldRetry?.(err) ?? true) },
      );
    } catch (err) {
      if (!isDataError(err)) throw err;
      if (to - from === 1) {
        // The original bytes stay in Kafka at these coordinates; the dead letter says where.
        const message = { topic: t.topics[from]!, partition: t.partitions[from]!, offset: t.offsets[from]!, key: null, value: null, headers: {}, timestamp: 0 };
        const error = new ClickHouseError(`ClickHouse refused the row read from ${message.topic}[${message.partition}]@${message.offset}: ${(err as Error).message}`, (err as ClickHouseError).context);
        deadLetters.push({ message, error });
        return;
      }
      // Halve until the refused rows are alone; the rest is stored.
      const mid = from + Math.floor((to - from) / 2);
      await insertRows(t, from, mid, `${token}.${from}-${mid}`);
      await insertRows(t, mid, to, `${token}.${mid}-${to}`);
    }
  };

  for (const t of batch.tables.values()) {
    if (t.rows === 0) continue;
    await insertRows(t, 0, t.rows, batch.dedupToken(t.spec.table, deps.groupId));
    metrics.rows.inc({ table: t.spec.table }, t.rows);
  }
  const inserted = performance.now();
  if (deadLetters.length > 0) {
    // An outage is waited out; a refusal no retry fixes is not retried (sendDeadLetters has already fallen back as far as it can).
    await retry(() => deps.sendDeadLetters(deadLetters), { ...deps.outageRetry, shouldRetry: (err) => isRetriable(err) && (deps.outageRetry.shouldRetry?.(err) ?? true) });
    for (const d of deadLetters) metrics.deadLetters.inc({ topic: d.message.topic, code: d.error.code });
    deps.logger.warn(
      { deadLetters: deadLetters.length, first: { topic: deadLetters[0]!.message.topic, partition: deadLetters[0]!.message.partition, offset: deadLetters[0]!.message.offset, error: deadLetters[0]!.error.message } },
      'messages sent to the dead-letter topic',
    );
  }
  const deadLettered = performance.now();
  try {
    await deps.consumer.commit(batch.commitOffsets());
  } catch (err) {
    // Usually a rebalance took the partitions; their rows are stored, and the offset fence skips them on re-read.
    deps.logger.warn({ err: errorMessage(err) }, 'offset commit failed after the batch was stored');
  }
  const done = performance.now();
  metrics.batchSeconds.observe((done - started) / 1000);
  deps.logger.debug(
    { rows: batch.rows, bytes: batch.bytes, insertMs: Math.round(inserted - started), deadLetterMs: Math.round(deadLettered - inserted), commitMs: Math.round(done - deadLettered) },
    'batch stored',
  );
  metrics.batchRows.observe(batch.rows);
}
