import { randomUUID } from 'node:crypto';
import { topicName } from '../../../schemas/index.js';
import { runIdFor, type RetrainCause } from '../../drift/index.js';
import type { OutgoingMessage } from '../../common/index.js';
import type { Runtime } from '../runtime.js';
import { HALF_HOUR_MS, type Elec2Row } from './elec2.js';

export const MODEL = 'elec2';

/**
 * How long after its record an Elec2 label is known, in event time: the
 * label says whether the half hour's price went up against the day's
 * average, which is known when the half hour ends.
 */
export const LABEL_DELAY_MS = HALF_HOUR_MS;

export interface History {
  rows: number;
  /** Event-time range of the history's features: [from, to). */
  from: number;
  to: number;
}

/**
 * Produces the history the first champion learns from, as a producing app
 * would: a feature event per record and its label, Confluent Avro through
 * Kafka, each stamped with its record's own time in Elec2 (1996-98) and the
 * label half an hour later.
 */
export async function produceHistory(runtime: Pick<Runtime, 'bus' | 'codec' | 'config'>, rows: readonly Elec2Row[]): Promise<History> {
  const producer = await runtime.bus.producer();
  const chunk = 2_000;
  for (let i = 0; i < rows.length; i += chunk) {
    const features: OutgoingMessage[] = [];
    const labels: OutgoingMessage[] = [];
    for (const row of rows.slice(i, i + chunk)) {
      const event_id = `elec2-${row.index}`;
      features.push({ key: event_id, value: await runtime.codec.encode('features', { event_id, model: MODEL, ts: row.ts, entity_id: null, numeric: row.numeric, categorical: { day: row.day } }, 'avro') });
      labels.push({ key: event_id, value: await runtime.codec.encode('labels', { event_id, model: MODEL, ts: row.ts + LABEL_DELAY_MS, label: row.label }, 'avro') });
    }
    await Promise.all([producer.send(topicName(runtime.config.topicPrefix, 'features'), features), producer.send(topicName(runtime.config.topicPrefix, 'labels'), labels)]);
  }
  return { rows: rows.length, from: rows[0]?.ts ?? 0, to: (rows.at(-1)?.ts ?? 0) + HALF_HOUR_MS };
}

/**
 * Asks for the first model the way any client can: a retrain request on
 * Kafka (cause manual), training on the whole history.
 */
export async function requestFirstModel(runtime: Pick<Runtime, 'bus' | 'codec' | 'config'>, history: History): Promise<string> {
  const cause: RetrainCause = { kind: 'manual', ref: `demo:first:${history.to}`, detail: 'driftloop demo: the first champion, from the history' };
  const runId = runIdFor(MODEL, cause);
  const event = { event_id: randomUUID(), model: MODEL, ts: history.to, run_id: runId, cause, requested_by: 'demo', params: { window_rows: String(history.rows) } };
  const producer = await runtime.bus.producer();
  await producer.send(topicName(runtime.config.topicPrefix, 'retrain-requests'), [{ key: MODEL, value: await runtime.codec.encode('retrain-requests', event) }]);
  return runId;
}
