import { toDateTime64Text, type ClickHouse } from '../../common/index.js';
import type { HistoryRecord } from './types.js';

const CHUNK = 10_000;

async function insertChunked(ch: ClickHouse, table: string, rows: readonly object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += CHUNK) await ch.insertObjects(table, rows.slice(i, i + CHUNK));
}

/**
 * Stores the history's features once, under the model name `base`, as the
 * ingest would have. Features may all be there from the start: a window is
 * read for its own time range, and closes once newer events exist. Labels
 * may not: a snapshot joins every label it finds, so they are stored as they
 * become known (storeLabels).
 */
export async function storeFeatures(ch: ClickHouse, base: string, records: readonly HistoryRecord[]): Promise<void> {
  await insertChunked(ch, 'features', records.map((r) => ({ model: base, ts: toDateTime64Text(r.ts), event_id: r.eventId, entity_id: '', numeric: r.numeric, categorical: r.categorical })));
}

/** The stored features again under an arm's own model name: each arm's windows, snapshots and answers are its own. */
export async function copyFeatures(ch: ClickHouse, base: string, model: string): Promise<void> {
  const columns = 'ts, event_id, entity_id, numeric, categorical';
  await ch.command(
    `INSERT INTO {db:Identifier}.features (model, ${columns}) SELECT {model:String}, ${columns} FROM {db:Identifier}.features WHERE model = {base:String}`,
    { model, base },
  );
}

/** Labels that became known, stamped with the time they did (`labelDelayMs` after their record). */
export async function storeLabels(ch: ClickHouse, model: string, records: readonly HistoryRecord[], labelDelayMs: number): Promise<void> {
  await insertChunked(ch, 'labels', records.map((r) => ({ model, ts: toDateTime64Text(r.ts + labelDelayMs), event_id: r.eventId, label: r.label })));
}

/** A served answer, as the gateway records it on `predictions`. */
export interface ServedAnswer {
  ts: number;
  eventId: string;
  version: string;
  prediction: string;
  score: number;
}

export async function storeAnswers(ch: ClickHouse, model: string, answers: readonly ServedAnswer[]): Promise<void> {
  await insertChunked(ch, 'predictions', answers.map((a) => ({
    model, model_version: a.version, variant: 'champion', ts: toDateTime64Text(a.ts), event_id: a.eventId, entity_id: '', prediction: a.prediction, score: a.score, latency_ms: null,
  })));
}
