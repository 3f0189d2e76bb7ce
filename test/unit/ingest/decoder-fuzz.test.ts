import avro from 'avsc';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { avroSchema, DATA_TOPICS, type DataTopic } from '../../../schemas/index.js';
import { confluentFrame, DriftloopError, RowBinaryWriter, type SchemaCache } from '../../../services/common/index.js';
import { createRowDecoder, tableSpec } from '../../../services/ingest/index.js';

/**
 * Property-based: whatever bytes reach a data topic, the decoder either writes
 * a row or refuses with a driftloop error (which the ingest dead-letters with
 * its code), and never throws anything else (a TypeError would be logged as an
 * unexpected failure) nor runs away. Schema ids 1-3 are each topic's Avro
 * schema, 4 a JSON Schema.
 */
const AVRO_IDS: Record<DataTopic, number> = { features: 1, predictions: 2, labels: 3 };
const cache: SchemaCache = {
  peek: (id) => {
    const topic = DATA_TOPICS.find((t) => AVRO_IDS[t] === id);
    if (topic) return { id, type: 'AVRO', schema: JSON.stringify(avroSchema(topic)) };
    if (id === 4) return { id, type: 'JSON', schema: '{}' };
    return { id, missing: `schema id ${id} is not in the registry` };
  },
  load: async () => {},
  unresolved: () => [],
};

const valid: Record<DataTopic, object> = {
  features: { event_id: 'e1', model: 'm', ts: 1_700_000_000_000, entity_id: 'u1', numeric: { x: 1.5, y: -2 }, categorical: { c: 'red' } },
  predictions: { event_id: 'e1', model: 'm', ts: 1_700_000_000_000, model_version: '3', variant: 'champion', entity_id: null, prediction: 'UP', score: 0.7, latency_ms: 1.2 },
  labels: { event_id: 'e1', model: 'm', ts: 1_700_000_000_000, label: 'UP' },
};

/** Decodes `bytes`; fails the property on anything but a row or a driftloop error. */
const decoders = new Map(DATA_TOPICS.map((t) => [t, createRowDecoder(tableSpec(t), cache)]));

function decodesOrRefuses(topic: DataTopic, bytes: Uint8Array): boolean {
  const decoder = decoders.get(topic)!;
  const out = new RowBinaryWriter(64);
  try {
    decoder.write(Buffer.from(bytes), out);
    return true;
  } catch (err) {
    if (err instanceof DriftloopError && /^DL_/.test(err.code)) return true;
    throw new Error(`${topic}: ${Buffer.from(bytes).toString('hex').slice(0, 200)} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
  }
}

/** A valid message with bytes flipped, cut or inserted. */
const mutated = (message: Buffer) =>
  fc
    .array(fc.tuple(fc.nat(message.length), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'cut', 'insert')), { minLength: 1, maxLength: 6 })
    .map((edits) => {
      let bytes = Buffer.from(message);
      for (const [at, value, kind] of edits) {
        const i = Math.min(at, Math.max(0, bytes.length - 1));
        if (kind === 'flip' && bytes.length > 0) bytes[i] = value;
        else if (kind === 'cut') bytes = bytes.subarray(0, i);
        else bytes = Buffer.concat([bytes.subarray(0, i), Buffer.from([value]), bytes.subarray(i)]);
      }
      return bytes;
    });

const RUNS = { numRuns: 1000 };

describe.each(DATA_TOPICS)('the %s decoder under random input', (topic) => {
  const avroFrame = confluentFrame(AVRO_IDS[topic], avro.Type.forSchema(avroSchema(topic) as avro.Schema).toBuffer(valid[topic]));
  const json = Buffer.from(JSON.stringify(valid[topic]));

  it('refuses random bytes with a driftloop error, or decodes them', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => decodesOrRefuses(topic, bytes)), RUNS);
  });

  it('refuses random bytes behind a valid Confluent header (Avro, JSON Schema, unknown id)', () => {
    fc.assert(
      fc.property(fc.constantFrom(AVRO_IDS[topic], 4, 99), fc.uint8Array({ maxLength: 400 }), (id, payload) => decodesOrRefuses(topic, confluentFrame(id, Buffer.from(payload)))),
      RUNS,
    );
  });

  it('refuses mutated valid Avro and JSON messages, or decodes them', () => {
    fc.assert(fc.property(mutated(avroFrame), (bytes) => decodesOrRefuses(topic, bytes)), RUNS);
    fc.assert(fc.property(mutated(json), (bytes) => decodesOrRefuses(topic, bytes)), RUNS);
    fc.assert(fc.property(mutated(confluentFrame(4, json)), (bytes) => decodesOrRefuses(topic, bytes)), RUNS);
  });

  it('refuses JSON whose fields hold anything at all, or decodes it', () => {
    const field = fc.oneof(fc.anything(), fc.double(), fc.string(), fc.constant(null), fc.dictionary(fc.string(), fc.oneof(fc.double(), fc.string(), fc.constant(null))));
    const event = fc.dictionary(fc.constantFrom(...Object.keys(valid[topic]), 'extra'), field).map((fields) => ({ ...valid[topic], ...fields }));
    fc.assert(fc.property(event, (e) => decodesOrRefuses(topic, Buffer.from(JSON.stringify(e) ?? 'null'))), RUNS);
    fc.assert(fc.property(fc.json(), (text) => decodesOrRefuses(topic, Buffer.from(text))), RUNS);
  });
});
