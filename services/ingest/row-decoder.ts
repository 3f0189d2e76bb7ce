import avro from 'avsc';
import { Ajv, type ValidateFunction } from 'ajv';
import {
  DecodeError,
  ValidationError,
  confluentSchemaId,
  looksLikeJsonObject,
  HEADER_BYTES,
  type RowBinaryWriter,
  type SchemaCache,
} from '../common/index.js';
import { avroSchema, jsonSchema } from '../../schemas/index.js';
import type { TableSpec } from './tables.js';
import { compileTranscoder } from './avro/transcoder.js';
import { writeValue } from './value-encoder.js';

/** Writes one message's data columns, or throws DecodeError / ValidationError saying why it cannot. */
type WriteRow = (value: Buffer, out: RowBinaryWriter) => void;

export interface RowDecoder {
  /** Appends the message's data columns to `out`; on error `out` may hold a partial row. */
  write(value: Buffer | null, out: RowBinaryWriter): void;
}

function validationError(validate: ValidateFunction): ValidationError {
  const e = validate.errors?.[0];
  const extra = e?.keyword === 'required' ? ` (${(e.params as { missingProperty: string }).missingProperty})` : '';
  return new ValidationError(e?.instancePath ?? '', `${e?.message ?? 'invalid'}${extra}`);
}

/**
 * Turns the bytes of a data-topic message into RowBinary for the topic's
 * table, whatever the producer used:
 * - Confluent Avro: transcoded straight from bytes when the writer schema
 *   allows (no objects), else read with avsc into the contract's reader schema;
 * - Confluent JSON Schema and plain JSON: parsed and checked against the
 *   contract's JSON Schema.
 * Both paths enforce the same rules (the `x-rules` of the Avro contract).
 */
export function createRowDecoder(spec: TableSpec, schemas: SchemaCache): RowDecoder {
  const ajv = new Ajv({ allErrors: false, strict: false });
  const validate = ajv.compile(jsonSchema(spec.topic));
  const readerType = avro.Type.forSchema(avroSchema(spec.topic) as avro.Schema);
  const bySchemaId = new Map<number, WriteRow>();

  const writeObject = (obj: unknown, out: RowBinaryWriter): void => {
    if (!validate(obj)) throw validationError(validate);
    const record = obj as Record<string, unknown>;
    for (const col of spec.columns) writeValue(col, record[col.name], out, `/${col.name}`);
  };

  const writeJson = (text: Buffer, start: number, out: RowBinaryWriter): void => {
    let obj: unknown;
    try {
      obj = JSON.parse(text.toString('utf8', start));
    } catch (err) {
      throw new DecodeError(`invalid JSON: ${(err as Error).message}`);
    }
    writeObject(obj, out);
  };

  const avroWriter = (id: number, schemaText: string): WriteRow => {
    const writerSchema = JSON.parse(schemaText) as unknown;
    const transcode = compileTranscoder(writerSchema, spec);
    if (typeof transcode === 'function') return (value, out) => transcode(value, HEADER_BYTES, out);
    // The fast path declined (e.g. a type promotion it does not do): let avsc resolve writer to reader.
    let resolver: avro.Resolver;
    try {
      resolver = readerType.createResolver(avro.Type.forSchema(writerSchema as avro.Schema));
    } catch (err) {
      const reason = `Avro schema id ${id} cannot be read as the ${spec.topic} contract: ${(err as Error).message}`;
      return () => {
        throw new DecodeError(reason);
      };
    }
    return (value, out) => {
      let obj: unknown;
      try {
        obj = readerType.fromBuffer(value.subarray(HEADER_BYTES), resolver);
      } catch (err) {
        throw new DecodeError(`Avro payload does not match schema id ${id}: ${(err as Error).message}`);
      }
      writeObject(obj, out);
    };
  };

  const handlerFor = (id: number): WriteRow => {
    let handler = bySchemaId.get(id);
    if (handler) return handler;
    const resolved = schemas.peek(id);
    if (!resolved) throw new Error(`schema id ${id} was not loaded before decoding (SchemaCache.load)`);
    if ('missing' in resolved) {
      handler = () => {
        throw new DecodeError(resolved.missing);
      };
    } else if (resolved.type === 'AVRO') {
      handler = avroWriter(id, resolved.schema);
    } else if (resolved.type === 'JSON') {
      handler = (value, out) => writeJson(value, HEADER_BYTES, out);
    } else {
      handler = () => {
        throw new DecodeError(`schema id ${id} is ${resolved.type}; the ingest accepts Avro, JSON Schema and plain JSON`);
      };
    }
    bySchemaId.set(id, handler);
    return handler;
  };

  return {
    write(value, out) {
      if (!value || value.length === 0) throw new DecodeError('empty message (tombstone) on a data topic');
      const id = confluentSchemaId(value);
      if (id !== undefined) return handlerFor(id)(value, out);
      if (looksLikeJsonObject(value)) return writeJson(value, 0, out);
      throw new DecodeError('not Confluent Avro, Confluent JSON Schema or a JSON object');
    },
  };
}
