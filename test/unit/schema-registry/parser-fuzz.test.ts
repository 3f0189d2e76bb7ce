import fc from 'fast-check';
import { describe, it } from 'vitest';
import { avroSchema, TOPICS } from '../../../schemas/index.js';
import { SchemaRegistryError } from '../../../services/common/index.js';
import { checkCompatibility, createSchemaParser } from '../../../services/schema-registry/index.js';

/**
 * Property-based: whatever a client sends to register, look up or check, the
 * registry's parser answers with a schema or a Confluent error (42201 and
 * friends), never with a TypeError or a hang, which would be a 500.
 */
const parser = createSchemaParser({
  resolveReference: (ref) => {
    throw new SchemaRegistryError(`reference ${ref.subject} v${ref.version} not found`, 42201, 422);
  },
});

function parsesOrRefuses(body: unknown): boolean {
  try {
    const input = parser.readInput(body);
    const parsed = parser.parse(input);
    // A schema that parsed must also be comparable with itself, as a registration does.
    checkCompatibility('FULL_TRANSITIVE', parsed, [{ version: 1, schema: parsed }]);
    return true;
  } catch (err) {
    if (err instanceof SchemaRegistryError) return true;
    throw new Error(`${JSON.stringify(body)?.slice(0, 300)} threw ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
  }
}

/** JSON text with some characters replaced, cut or doubled. */
const mutatedText = (text: string) =>
  fc.array(fc.tuple(fc.nat(text.length), fc.constantFrom('{', '}', '[', ']', '"', ':', ',', 'null', '1', '"record"', '"string"', ''), fc.boolean()), { minLength: 1, maxLength: 5 }).map((edits) => {
    let t = text;
    for (const [at, piece, replace] of edits) {
      const i = Math.min(at, t.length);
      t = t.slice(0, i) + piece + t.slice(replace ? i + 1 : i);
    }
    return t;
  });

const RUNS = { numRuns: 500 };

describe('the schema registry parser under random input', () => {
  it('answers any JSON body with a schema or a registry error', () => {
    fc.assert(fc.property(fc.jsonValue(), (body) => parsesOrRefuses(body)), RUNS);
  });

  it('answers random schema text of either type with a schema or a registry error', () => {
    const schemaType = fc.constantFrom(undefined, 'AVRO', 'JSON', 'PROTOBUF', 'avro', 7);
    fc.assert(fc.property(fc.oneof(fc.json(), fc.string()), schemaType, (schema, type) => parsesOrRefuses({ schema, schemaType: type })), RUNS);
  });

  it('answers mutated contract schemas (Avro, and their JSON Schema) with a schema or a registry error', () => {
    for (const topic of TOPICS) {
      const text = JSON.stringify(avroSchema(topic));
      fc.assert(fc.property(mutatedText(text), (schema) => parsesOrRefuses({ schema })), { numRuns: 60 });
    }
  });

  it('answers random references and metadata with a schema or a registry error', () => {
    const schema = JSON.stringify(avroSchema('labels'));
    fc.assert(fc.property(fc.anything(), fc.anything(), (references, metadata) => parsesOrRefuses({ schema, references, metadata })), RUNS);
  });
});
