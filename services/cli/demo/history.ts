import { randomUUID } from 'node:crypto';
import { topicName } from '../../../schemas/index.js';
import { runIdFor, type RetrainCause } from '../../drift/index.js';
import type { OutgoingMessage } from '../../common/index.js';
import type { Runtime } from '../runtime.js';
import type { Elec2Row } from './elec2.js';

export const MODEL = 'elec2';

/** Event time between two history records: Elec2's half hours, compressed so the history ends now. */
const HISTORY_STEP_MS = 10;

export interface History {
  rows: number;
  /** Event-time range of the history's features: [from, to). */
  from: number;
  to: number;
}

/**
 * Produces the history the first champion learns from, as a producing app
 * would: a feature event per record and its label, Confluent Avro through
 * Kafka, stamped on a compressed clock that ends now.
 */
export async function produceHistory(runtime: Pick<Runtime, 'bus' | 'codec' | 'config'>, rows: readonly Elec2Row[], now = Date.now()): Promise<History> {
  const producer = await runtime.bus.producer();
  const from = now - rows.length * HISTORY_STEP_MS;
  const chunk = 2_000;
  for (let i = 0; i < rows.length; i += chunk) {
    const features: OutgoingMessage[] = [];
    const labels: OutgoingMessage[] = [];
    for (const [k, row] of rows.slice(i, i + chunk).entries()) {
      const ts = from + (i + k) * HISTORY_STEP_MS;
      const event_id = `elec2-${row.index}`;
      features.push({ key: event_id, value: await runtime.codec.encode('features', { event_id, model: MODEL, ts, entity_id: null, numeric: row.numeric, categorical: { day: row.day } }, 'avro') });
      labels.push({ key: event_id, value: await runtime.codec.encode('labels', { event_id, model: MODEL, ts: ts + 1, label: row.label }, 'avro') });
    }
    await Promise.all([producer.send(topicName(runtime.config.topicPrefix, 'features'), features), producer.send(topicName(runtime.config.topicPrefix, 'labels'), labels)]);
  }
  return { rows: rows.length, from, to: from + rows.length * HISTORY_STEP_MS };
}

/**
 * Asks for the first model the way any client can: a retrain request on
 * Kafka (cause manual), training on the whole history.
 */
export async function requestFirstModel(runtime: Pick<Runtime, 'bus' | 'codec' | 'config'>, history: History): Promise<string> {
  const cause: RetrainCause = { kind: 'manual', ref: `demo:first:${history.to}`, detail: 'driftloop demo: the first champion, from the history' };
  const runId = runIdFor(MODEL, cause);
  const event = { event_id: randomUUID(), model: MODEL, ts: Date.now(), run_id: runId, cause, requested_by: 'demo', params: { window_rows: String(history.rows) } };
  const producer = await runtime.bus.producer();
  await producer.send(topicName(runtime.config.topicPrefix, 'retrain-requests'), [{ key: MODEL, value: await runtime.codec.encode('retrain-requests', event) }]);
  return runId;
}
