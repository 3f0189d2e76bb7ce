import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { avroSchema, type DataTopic } from '../../../schemas/index.js';
import { confluentFrame, DecodeError, RowBinaryWriter, ValidationError, type SchemaCache } from '../../../services/common/index.js';
import { createRowDecoder, tableSpec } from '../../../services/ingest/index.js';
import { compileTranscoder } from '../../../services/ingest/avro/transcoder.js';

/** A schema cache over a fixed id → schema table: the registry's answers, without HTTP. */
function schemaCache(schemas: Record<number, { type: 'AVRO' | 'JSON' | 'PROTOBUF'; schema: unknown }>): SchemaCache {
  return {
    peek: (id) => {
      const s = schemas[id];
      return s ? { id, type: s.type, schema: JSON.stringify(s.schema) } : { id, missing: `schema id ${id} is not in the registry` };
    },
    load: async () => {},
    unresolved: () => [],
  };
}

const featureEvent = (i: number) => ({
  event_id: `evt-${i}`,
  model: 'elec2',
  ts: 1_700_000_000_000 + i,
  entity_id: i % 2 ? `ent-${i}` : null,
  numeric: { nswprice: 0.05 + i, nswdemand: -1.5 * i - 0.25, vicprice: Number.NaN },
  categorical: { day: String(i % 7), period: 'p' + i },
});

function rowBytes(topic: DataTopic, schemas: SchemaCache, value: Buffer): Buffer {
  const out = new RowBinaryWriter(256);
  createRowDecoder(tableSpec(topic), schemas).write(value, out);
  return Buffer.from(out.bytes());
}

function avroMessage(topic: DataTopic, event: object, id = 1, schema: unknown = avroSchema(topic)): Buffer {
  return confluentFrame(id, avro.Type.forSchema(schema as avro.Schema).toBuffer(event));
}

function jsonForm(event: Record<string, unknown>): Record<string, unknown> {
  // JSON has no NaN: a missing numeric feature is null.
  const numeric = Object.fromEntries(Object.entries(event.numeric as Record<string, number>).map(([k, v]) => [k, Number.isNaN(v) ? null : v]));
  return { ...event, numeric };
}

describe('row decoder', () => {
  const cache = schemaCache({ 1: { type: 'AVRO', schema: avroSchema('features') }, 2: { type: 'JSON', schema: {} } });

  it('writes the same RowBinary from Confluent Avro, Confluent JSON Schema and plain JSON', () => {
    for (let i = 0; i < 20; i++) {
      const e = featureEvent(i);
      const fromAvro = rowBytes('features', cache, avroMessage('features', e));
      const json = Buffer.from(JSON.stringify(jsonForm(e)));
      expect(rowBytes('features', cache, json)).toEqual(fromAvro);
      expect(rowBytes('features', cache, confluentFrame(2, json))).toEqual(fromAvro);
    }
  });

  it('accepts ISO-8601 event times in JSON as the same instant as epoch milliseconds', () => {
    const e = jsonForm(featureEvent(3));
    const iso = { ...e, ts: new Date(e.ts as number).toISOString() };
    expect(rowBytes('features', cache, Buffer.from(JSON.stringify(iso)))).toEqual(rowBytes('features', cache, Buffer.from(JSON.stringify(e))));
  });

  it('transcodes a writer schema with reordered, extra and missing optional fields like the contract', () => {
    const contract = avroSchema('features');
    const evolved = {
      ...contract,
      fields: [
        { name: 'tenant', type: 'string' },
        contract.fields.find((f) => f.name === 'ts')!,
        { name: 'tags', type: { type: 'array', items: 'string' } },
        contract.fields.find((f) => f.name === 'model')!,
        contract.fields.find((f) => f.name === 'event_id')!,
        contract.fields.find((f) => f.name === 'numeric')!,
      ],
    };
    const e = featureEvent(7);
    const cacheWith = schemaCache({ 9: { type: 'AVRO', schema: evolved } });
    const message = avroMessage('features', { ...e, tenant: 'acme', tags: ['a', 'b'] }, 9, evolved);
    expect(typeof compileTranscoder(evolved, tableSpec('features'))).toBe('function');
    const expected = rowBytes('features', cache, avroMessage('features', { ...e, entity_id: null, categorical: {} }));
    expect(rowBytes('features', cacheWith, message)).toEqual(expected);
  });

  it('falls back to avsc for a writer schema the transcoder does not handle, with the same result', () => {
    const contract = avroSchema('labels');
    // Avro promotes bytes to string; the fast path only copies strings, so avsc resolves this one.
    const withBytes = { ...contract, fields: contract.fields.map((f) => (f.name === 'label' ? { name: 'label', type: 'bytes' } : f)) };
    expect(compileTranscoder(withBytes, tableSpec('labels'))).toBe('/label is bytes, not a string');
    const event = { event_id: 'e1', model: 'elec2', ts: 1_700_000_000_000, label: 'DOWN' };
    const viaBytes = rowBytes('labels', schemaCache({ 5: { type: 'AVRO', schema: withBytes } }), avroMessage('labels', { ...event, label: Buffer.from('DOWN') }, 5, withBytes));
    const viaContract = rowBytes('labels', schemaCache({ 1: { type: 'AVRO', schema: contract } }), avroMessage('labels', event));
    expect(viaBytes).toEqual(viaContract);
  });

  it('writes map lengths above 127 entries with a wider prefix', () => {
    const numeric = Object.fromEntries(Array.from({ length: 300 }, (_, k) => [`f${k}`, k]));
    const e = { ...featureEvent(1), numeric };
    const fromAvro = rowBytes('features', cache, avroMessage('features', e));
    expect(rowBytes('features', cache, Buffer.from(JSON.stringify(e)))).toEqual(fromAvro);
  });

  it.each([
    ['an empty event_id', { event_id: '' }, '/event_id'],
    ['a model name with a space', { model: 'bad model' }, '/model'],
    ['an event time past the year 2200', { ts: 8_000_000_000_000 }, '/ts'],
    ['a feature name longer than 128 characters', { numeric: { ['x'.repeat(129)]: 1 } }, '/numeric'],
  ])('rejects %s on both paths with the field path', (_name, patch, path) => {
    const e = { ...featureEvent(1), ...patch };
    for (const value of [avroMessage('features', e), Buffer.from(JSON.stringify(jsonForm(e)))]) {
      let caught: unknown;
      try {
        rowBytes('features', cache, value);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(ValidationError);
      expect((caught as ValidationError).path).toBe(path);
    }
  });

  it('rejects a prediction variant outside champion, canary, shadow and external', () => {
    const p = { event_id: 'e', model: 'm', ts: 1, model_version: 'v1', variant: 'blue', entity_id: null, prediction: 'UP', score: 0.7, latency_ms: null };
    const predictions = schemaCache({ 1: { type: 'AVRO', schema: avroSchema('predictions') } });
    expect(() => rowBytes('predictions', predictions, avroMessage('predictions', p))).toThrow(/\/variant: must be equal to one of the allowed values/);
    expect(() => rowBytes('predictions', predictions, Buffer.from(JSON.stringify(p)))).toThrow(/\/variant/);
  });

  it('counts characters, not bytes, for length rules', () => {
    const e = { ...featureEvent(1), event_id: 'é'.repeat(128) };
    expect(() => rowBytes('features', cache, avroMessage('features', e))).not.toThrow();
    expect(() => rowBytes('features', cache, avroMessage('features', { ...e, event_id: 'é'.repeat(129) }))).toThrow(ValidationError);
  });

  it.each([
    ['truncated Avro', () => avroMessage('features', featureEvent(1)).subarray(0, 30), /runs past the end/],
    ['Avro with trailing bytes', () => Buffer.concat([avroMessage('features', featureEvent(1)), Buffer.from([1, 2])]), /2 bytes after the Avro record/],
    ['an unknown schema id', () => avroMessage('features', featureEvent(1), 77), /schema id 77 is not in the registry/],
    ['a Protobuf schema id', () => confluentFrame(3, Buffer.from([1])), /PROTOBUF/],
    ['random bytes', () => Buffer.from([0x13, 0x37, 0xff]), /not Confluent Avro, Confluent JSON Schema or a JSON object/],
    ['broken JSON', () => Buffer.from('{"event_id": '), /invalid JSON/],
    ['an empty message', () => Buffer.alloc(0), /empty message/],
  ])('refuses %s with a decode error saying why', (_name, value, reason) => {
    const withProto = schemaCache({ 1: { type: 'AVRO', schema: avroSchema('features') }, 3: { type: 'PROTOBUF', schema: {} } });
    let caught: unknown;
    try {
      rowBytes('features', withProto, value());
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    expect((caught as Error).message).toMatch(reason);
  });

  it('refuses an infinite feature value as a validation error naming the feature, on the Avro fast path, through avsc and in JSON, and keeps NaN as a missing value', () => {
    const contract = avroSchema('features');
    // event_id as bytes: the fast path declines it and avsc resolves the message instead.
    const viaAvsc = { ...contract, fields: contract.fields.map((f) => (f.name === 'event_id' ? { name: 'event_id', type: 'bytes' } : f)) };
    const asFloat = { ...contract, fields: contract.fields.map((f) => (f.name === 'numeric' ? { ...f, type: { type: 'map', values: 'float' } } : f)) };
    expect(typeof compileTranscoder(viaAvsc, tableSpec('features'))).toBe('string');
    const schemas = schemaCache({ 1: { type: 'AVRO', schema: contract }, 5: { type: 'AVRO', schema: viaAvsc }, 6: { type: 'AVRO', schema: asFloat } });
    for (const bad of [Infinity, -Infinity]) {
      const e = { ...featureEvent(1), numeric: { nswprice: 1, vicprice: bad } };
      const messages = [
        avroMessage('features', e),
        avroMessage('features', { ...e, event_id: Buffer.from(e.event_id) }, 5, viaAvsc),
        avroMessage('features', e, 6, asFloat),
        Buffer.from(JSON.stringify(jsonForm({ ...e, numeric: { nswprice: 1, vicprice: 0 } })).replace('"vicprice":0', `"vicprice":${bad > 0 ? '' : '-'}1e400`)),
      ];
      for (const value of messages) {
        let caught: unknown;
        try {
          rowBytes('features', schemas, value);
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(ValidationError);
        // The code the ingest dead-letters it with, as for any other invalid event.
        expect(caught).toMatchObject({ code: 'DL_VALIDATION', path: '/numeric/vicprice', message: `/numeric/vicprice: must be a finite number, or NaN for a missing value (got ${bad})` });
      }
    }
    const missing = { ...featureEvent(1), numeric: { nswprice: 1, vicprice: Number.NaN } };
    expect(rowBytes('features', schemas, avroMessage('features', missing))).toEqual(rowBytes('features', schemas, Buffer.from(JSON.stringify(jsonForm(missing)))));
  });

  it('refuses an infinite prediction score in Avro as in JSON', () => {
    const p = { event_id: 'e', model: 'm', ts: 1, model_version: 'v1', variant: 'champion', entity_id: null, prediction: 'UP', score: Infinity, latency_ms: null };
    const predictions = schemaCache({ 1: { type: 'AVRO', schema: avroSchema('predictions') } });
    expect(() => rowBytes('predictions', predictions, avroMessage('predictions', p))).toThrow('/score: must be a finite number, or NaN for a missing value (got Infinity)');
    expect(() => rowBytes('predictions', predictions, Buffer.from(JSON.stringify({ ...p, score: 0 }).replace('"score":0', '"score":1e400')))).toThrow('/score: must be a finite number, or NaN for a missing value (got Infinity)');
  });

  it('refuses JSON missing a required field, naming it', () => {
    const { event_id: _omit, ...rest } = jsonForm(featureEvent(1));
    expect(() => rowBytes('features', cache, Buffer.from(JSON.stringify(rest)))).toThrow(/must have required property 'event_id' \(event_id\)/);
  });
});
