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
  /** Key, value or headers were cut when it was written (false in letters written before the field existed). */
  truncated: boolean;
  key_bytes: number;
  value_bytes: number;
}

/** The fields dlq.avsc gained after its first version, which letters written before lack. */
const ADDED_FIELDS = new Set(['truncated', 'key_bytes', 'value_bytes']);

let types: { current: avro.Type; first: avro.Resolver } | undefined;

/**
 * Decodes a dead letter with the contract's own schema, without asking a
 * Schema Registry: driftloop's ingest is the one writer of the topic and
 * writes Confluent Avro of schemas/avro/dlq.avsc (the id in the frame is only
 * the registry's name for that schema), and this command talks to Kafka alone.
 * Undefined for bytes that are not such a record.
 */
export function decodeDeadLetter(value: Buffer | null): DeadLetterRecord | undefined {
  if (confluentSchemaId(value) === undefined) return undefined;
  if (!types) {
    const schema = avroSchema('dlq') as avro.Schema & { fields: { name: string }[] };
    const current = avro.Type.forSchema(schema);
    const first = avro.Type.forSchema({ ...(schema as object), fields: schema.fields.filter((f) => !ADDED_FIELDS.has(f.name)) } as avro.Schema);
    types = { current, first: current.createResolver(first) };
  }
  const body = value!.subarray(HEADER_BYTES);
  // fromBuffer refuses trailing bytes: a record of another schema rarely decodes exactly.
  for (const resolver of [undefined, types.first]) {
    try {
      const record = types.current.fromBuffer(body, resolver) as DeadLetterRecord & { ts: number | Date; key_bytes: number | bigint; value_bytes: number | bigint };
      return { ...record, ts: Number(record.ts), key_bytes: Number(record.key_bytes), value_bytes: Number(record.value_bytes) };
    } catch {
      // Not this version of the schema.
    }
  }
  return undefined;
}

/** `topic[partition]@offset`, how output names a message. */
export function origin(topic: string, partition: number, offset: number): string {
  return `${topic}[${partition}]@${offset}`;
}
