import avro from 'avsc';
import { avroSchema } from '../../../schemas/index.js';
import { confluentSchemaId, HEADER_BYTES } from '../../common/index.js';

/** What a dead letter records about the message it stands for (schemas/avro/dlq.avsc). */
export interface DeadLetterRecord {
  event_id: string;
  ts: number;
  source_topic: string;
  source_partition: number;
  source_offset: number;
  consumer_group: string;
  error_code: string;
  error: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

let type: avro.Type | undefined;

/**
 * Decodes a dead letter with the contract's own schema, without asking a
 * Schema Registry: driftloop's ingest is the one writer of the topic and
 * writes Confluent Avro of schemas/avro/dlq.avsc (the id in the frame is only
 * the registry's name for that schema), and this command talks to Kafka alone.
 * Undefined for bytes that are not such a record.
 */
export function decodeDeadLetter(value: Buffer | null): DeadLetterRecord | undefined {
  if (confluentSchemaId(value) === undefined) return undefined;
  type ??= avro.Type.forSchema(avroSchema('dlq') as avro.Schema);
  try {
    // fromBuffer refuses trailing bytes: a record of another schema rarely decodes exactly.
    const record = type.fromBuffer(value!.subarray(HEADER_BYTES)) as DeadLetterRecord & { ts: number | Date };
    return { ...record, ts: Number(record.ts) };
  } catch {
    return undefined;
  }
}

/** `topic[partition]@offset`, how output names a message. */
export function origin(topic: string, partition: number, offset: number): string {
  return `${topic}[${partition}]@${offset}`;
}
