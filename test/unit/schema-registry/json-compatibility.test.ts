import { describe, expect, it } from 'vitest';
import { checkCompatibility, createSchemaParser, type CompatibilityLevel, type ParsedSchema } from '../../../services/schema-registry/index.js';

const parser = createSchemaParser({
  resolveReference: () => {
    throw new Error('no references in these tests');
  },
});
const json = (schema: unknown): ParsedSchema => parser.parse({ schemaType: 'JSON', schema: JSON.stringify(schema), references: [] });
const check = (level: CompatibilityLevel, next: unknown, ...history: unknown[]) =>
  checkCompatibility(level, json(next), history.map((schema, i) => ({ version: i + 1, schema: json(schema) })));

const closed = (properties: Record<string, unknown>, required: string[] = []) => ({ type: 'object', properties, required, additionalProperties: false });
const str = { type: 'string' };

describe('JSON Schema compatibility', () => {
  it('accepts an unchanged schema and changes to annotations only', () => {
    const base = closed({ id: str }, ['id']);
    expect(check('FULL_TRANSITIVE', base, base)).toEqual([]);
    expect(check('FULL', { ...base, title: 'Event', description: 'x', properties: { id: { ...str, description: 'id' } } }, base)).toEqual([]);
  });

  it('rejects a property becoming required under BACKWARD, naming it', () => {
    const problems = check('BACKWARD', closed({ id: str, note: str }, ['id', 'note']), closed({ id: str, note: str }, ['id']));
    expect(problems).toEqual([expect.stringContaining('"note" is required by the reader')]);
  });

  it('accepts a new optional property when the old content model is closed, and only BACKWARD', () => {
    expect(check('BACKWARD', closed({ id: str, note: str }), closed({ id: str }))).toEqual([]);
    // The old (closed) schema rejects documents carrying the new property.
    expect(check('FORWARD', closed({ id: str, note: str }), closed({ id: str }))).toEqual([expect.stringContaining('"note"')]);
  });

  it('rejects a property added to an open content model, as Confluent does', () => {
    const open = { type: 'object', properties: { id: str } };
    const added = { type: 'object', properties: { id: str, note: str } };
    expect(check('BACKWARD', added, open)).toEqual([expect.stringContaining('open content model')]);
  });

  it('rejects closing additionalProperties under BACKWARD', () => {
    const open = { type: 'object', properties: { id: str } };
    expect(check('BACKWARD', { ...open, additionalProperties: false }, open)).toEqual([expect.stringContaining('closes additionalProperties')]);
    expect(check('BACKWARD', open, { ...open, additionalProperties: false })).toEqual([]);
  });

  it('rejects incompatible type changes and accepts widening integer to number', () => {
    expect(check('BACKWARD', closed({ n: { type: 'number' } }), closed({ n: { type: 'integer' } }))).toEqual([]);
    expect(check('BACKWARD', closed({ n: { type: 'integer' } }), closed({ n: { type: 'number' } }))).toEqual([
      expect.stringContaining('#/properties/n: the reader does not accept type number'),
    ]);
    expect(check('BACKWARD', closed({ n: str }), closed({ n: { type: 'integer' } }))).toHaveLength(1);
    expect(check('BACKWARD', closed({ n: { type: ['string', 'null'] } }), closed({ n: str }))).toEqual([]);
  });

  it('checks enums, ranges, lengths and patterns in the reading direction', () => {
    expect(check('BACKWARD', { enum: ['a', 'b', 'c'] }, { enum: ['a', 'b'] })).toEqual([]);
    expect(check('BACKWARD', { enum: ['a'] }, { enum: ['a', 'b'] })).toEqual([expect.stringContaining('"b"')]);
    expect(check('BACKWARD', { type: 'number', minimum: 0 }, { type: 'number', minimum: 1 })).toEqual([]);
    expect(check('BACKWARD', { type: 'number', minimum: 1 }, { type: 'number', minimum: 0 })).toHaveLength(1);
    expect(check('BACKWARD', { type: 'number', exclusiveMaximum: 10 }, { type: 'number', maximum: 10 })).toHaveLength(1);
    expect(check('BACKWARD', { type: 'string', maxLength: 5 }, { type: 'string', maxLength: 10 })).toHaveLength(1);
    expect(check('BACKWARD', { type: 'string', pattern: '^a' }, { type: 'string' })).toHaveLength(1);
    expect(check('BACKWARD', { type: 'array', items: { type: 'number' } }, { type: 'array', items: { type: 'integer' } })).toEqual([]);
    expect(check('BACKWARD', { type: 'array', items: str }, { type: 'array', items: { type: 'integer' } })).toHaveLength(1);
  });

  it('follows local $refs and anyOf branches', () => {
    const defs = (point: unknown) => ({ $defs: { point }, type: 'object', properties: { p: { $ref: '#/$defs/point' } }, additionalProperties: false });
    const xy = closed({ x: { type: 'number' }, y: { type: 'number' } }, ['x', 'y']);
    const xyz = closed({ x: { type: 'number' }, y: { type: 'number' }, z: { type: 'number' } }, ['x', 'y', 'z']);
    expect(check('BACKWARD', defs(xy), defs(xy))).toEqual([]);
    // Same $ref text, different definitions: z became required inside the referenced schema.
    expect(check('BACKWARD', defs(xyz), defs(xy))).toEqual([expect.stringContaining('"z" is required')]);
    expect(check('BACKWARD', { anyOf: [str, { type: 'integer' }, { type: 'null' }] }, { anyOf: [str, { type: 'integer' }] })).toEqual([]);
    expect(check('BACKWARD', { anyOf: [str] }, { anyOf: [str, { type: 'integer' }] })).toHaveLength(1);
  });

  it('terminates on recursive schemas', () => {
    const tree = { $defs: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } } } }, $ref: '#/$defs/node' };
    expect(check('FULL', tree, tree)).toEqual([]);
    expect(check('FULL', { ...tree, title: 'Tree' }, tree)).toEqual([]);
  });

  it('treats keywords it does not model as incompatible when they change', () => {
    expect(check('BACKWARD', { oneOf: [str, { type: 'integer' }] }, { oneOf: [str] })).toEqual([expect.stringContaining('"oneOf" differs')]);
    expect(check('BACKWARD', { not: str }, { not: str })).toEqual([]);
  });

  it('rejects invalid JSON Schema with a 42201 registry error', () => {
    expect(() => json({ type: 'object', properties: { a: { type: 'nope' } } })).toThrow(expect.objectContaining({ registryCode: 42201 }));
    expect(() => json({ $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', minProperties: -1 })).toThrow(
      expect.objectContaining({ registryCode: 42201 }),
    );
  });
});
