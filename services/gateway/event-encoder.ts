import avro from 'avsc';
import { avroSchema } from '../../schemas/index.js';
import { confluentFrame, type EventCodec } from '../common/index.js';
import type { EmittedTopic } from './emitter.js';

export type EncodeEvent = (topic: EmittedTopic, event: object) => Buffer;

/**
 * Confluent Avro for the gateway's hot path: the contract's schemas are
 * registered through the event codec (their ids), and events are written with
 * avsc types compiled once from the same .avsc files, framed with those ids:
 * the bytes the codec's serializer writes, without its per-event schema
 * lookups (measured: the serializer cost more CPU per request than the
 * prediction itself at 2,000 requests/s).
 */
export async function createEventEncoder(codec: EventCodec): Promise<EncodeEvent> {
  const ids = await codec.register(['features', 'predictions']);
  const writers = new Map<EmittedTopic, { id: number; type: avro.Type }>();
  for (const topic of ['features', 'predictions'] as const) writers.set(topic, { id: ids.get(topic)!, type: avro.Type.forSchema(avroSchema(topic) as avro.Schema) });
  return (topic, event) => {
    const w = writers.get(topic)!;
    return confluentFrame(w.id, w.type.toBuffer(event));
  };
}
