import { describe, expect, it } from 'vitest';
import { checkCompatibility, createSchemaParser, type CompatibilityLevel, type ParsedSchema } from '../../../services/schema-registry/index.js';

const parser = createSchemaParser({
  resolveReference: () => {
    throw new Error('no references in these tests');
  },
});
const avro = (schema: unknown): ParsedSchema => parser.parse({ schemaType: 'AVRO', schema: JSON.stringify(schema), references: [] });
const record = (...fields: object[]) => avro({ type: 'record', name: 'R', fields });

/** Reasons `next` is rejected after `history` (oldest first) under `level`. */
const check = (level: CompatibilityLevel, next: ParsedSchema, ...history: ParsedSchema[]) =>
  checkCompatibility(level, next, history.map((schema, i) => ({ version: i + 1, schema })));

const id = { name: 'id', type: 'string' };
const scoreNoDefault = { name: 'score', type: 'double' };
const scoreDefault = { name: 'score', type: 'double', default: 0 };

describe('Avro compatibility', () => {
  it('accepts anything under NONE', () => {
    expect(check('NONE', avro('string'), record(id))).toEqual([]);
  });

  it('rejects a new field without a default under BACKWARD, naming the field', () => {
    const problems = check('BACKWARD', record(id, scoreNoDefault), record(id));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('version 1');
    expect(problems[0]).toContain('R.score');
  });

  it('accepts a new field with a default under BACKWARD and FULL', () => {
    expect(check('BACKWARD', record(id, scoreDefault), record(id))).toEqual([]);
    expect(check('FULL', record(id, scoreDefault), record(id))).toEqual([]);
  });

  it('accepts removing a field under BACKWARD but not under FORWARD when the old field has no default', () => {
    expect(check('BACKWARD', record(id), record(id, scoreNoDefault))).toEqual([]);
    expect(check('FORWARD', record(id), record(id, scoreNoDefault))).toHaveLength(1);
    expect(check('FORWARD', record(id), record(id, scoreDefault))).toEqual([]);
  });

  it('allows int to long promotion only in the reading direction', () => {
    const asInt = record({ name: 'n', type: 'int' });
    const asLong = record({ name: 'n', type: 'long' });
    expect(check('BACKWARD', asLong, asInt)).toEqual([]);
    expect(check('FORWARD', asLong, asInt)).toHaveLength(1);
    expect(check('FULL', asLong, asInt)).toHaveLength(1);
  });

  it('rejects removing an enum symbol under BACKWARD and adding one under FORWARD', () => {
    const ab = avro({ type: 'enum', name: 'E', symbols: ['A', 'B'] });
    const a = avro({ type: 'enum', name: 'E', symbols: ['A'] });
    expect(check('BACKWARD', a, ab)).toHaveLength(1);
    expect(check('BACKWARD', ab, a)).toEqual([]);
    expect(check('FORWARD', ab, a)).toHaveLength(1);
  });

  it('rejects a renamed record without an alias', () => {
    expect(check('BACKWARD', avro({ type: 'record', name: 'S', fields: [id] }), record(id))).toHaveLength(1);
    expect(check('BACKWARD', avro({ type: 'record', name: 'S', aliases: ['R'], fields: [id] }), record(id))).toEqual([]);
  });

  it('checks only the latest version unless the level is transitive', () => {
    const v1 = record(id);
    const v2 = record(id, scoreDefault);
    // v3 drops the default: it cannot read v1 data (no score), but it can read v2 data.
    const v3 = record(id, scoreNoDefault);
    expect(check('BACKWARD', v3, v1, v2)).toEqual([]);
    const transitive = check('BACKWARD_TRANSITIVE', v3, v1, v2);
    expect(transitive).toHaveLength(1);
    expect(transitive[0]).toMatch(/^version 1:/);
    expect(check('FULL_TRANSITIVE', v3, v1, v2)).toHaveLength(1);
  });

  it('reports a change of schema type as incompatible', () => {
    const json = parser.parse({ schemaType: 'JSON', schema: '{"type":"object"}', references: [] });
    expect(check('BACKWARD', json, record(id))).toEqual([expect.stringContaining('different schema type')]);
  });
});

describe('schema identity', () => {
  it('is the same across whitespace and key order, and differs when a default or doc differs', () => {
    const a = avro({ type: 'record', name: 'R', fields: [scoreDefault] });
    const spaced = parser.parse({ schemaType: 'AVRO', schema: JSON.stringify({ fields: [{ default: 0, type: 'double', name: 'score' }], name: 'R', type: 'record' }, null, 2), references: [] });
    expect(spaced.fingerprint).toBe(a.fingerprint);
    expect(avro({ type: 'record', name: 'R', fields: [{ ...scoreDefault, default: 1 }] }).fingerprint).not.toBe(a.fingerprint);
    expect(avro({ type: 'record', name: 'R', doc: 'scores', fields: [scoreDefault] }).fingerprint).not.toBe(a.fingerprint);
    // The same text under another schema type is another schema.
    const text = '{"type":"string"}';
    expect(parser.parse({ schemaType: 'JSON', schema: text, references: [] }).fingerprint).not.toBe(parser.parse({ schemaType: 'AVRO', schema: text, references: [] }).fingerprint);
  });

  it('stores the normalized text only when asked to normalize', () => {
    const text = '{ "type": "record", "name": "R", "fields": [] }';
    expect(parser.parse({ schemaType: 'AVRO', schema: text, references: [] }).input.schema).toBe(text);
    expect(parser.parse({ schemaType: 'AVRO', schema: text, references: [] }, { normalize: true }).input.schema).toBe('{"fields":[],"name":"R","type":"record"}');
  });

  it('rejects invalid Avro with a 42201 registry error', () => {
    expect(() => avro({ type: 'record', name: 'R', fields: [{ name: 'n', type: 'int', default: 'x' }] })).toThrow(
      expect.objectContaining({ registryCode: 42201, statusCode: 422 }),
    );
  });
});
