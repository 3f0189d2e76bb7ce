import { createHash } from 'node:crypto';
import type { Type } from 'avsc';
import { errorMessage, SchemaRegistryError } from '../common/errors.js';
import { parseAvro, type ReferenceResolver } from './avro-schema.js';
import { registryErrors } from './errors.js';
import { createJsonSchemaParser, type JsonSchema } from './json-schema.js';
import { stableStringify } from './stable-json.js';
import type { SchemaInput, SchemaReference, SchemaType } from './types.js';

/** A schema checked valid, with what compatibility checks and id lookup need. */
export type ParsedSchema =
  | { kind: 'AVRO'; input: SchemaInput; fingerprint: string; avro: Type }
  | { kind: 'JSON'; input: SchemaInput; fingerprint: string; json: JsonSchema };

export interface SchemaParser {
  /** Reads a register / lookup / compatibility request body; 42201 when it is not one. */
  readInput(body: unknown): SchemaInput;
  /**
   * Validates the schema (42201 with the reason when invalid) and computes its
   * identity. `normalize` stores the key-sorted, whitespace-free text instead
   * of the text as sent, as Confluent's `normalize=true` stores a normal form.
   */
  parse(input: SchemaInput, options?: { normalize?: boolean }): ParsedSchema;
}

/**
 * Parser for the schema types the embedded registry serves. Identity (and so
 * the id a schema gets) is the sha256 of type, schema JSON with sorted keys,
 * references, metadata and rule set: whitespace and key order do not make a
 * new schema, while defaults, docs and logical types do — Avro's Parsing
 * Canonical Form drops those, and two schemas differing in a default must not
 * share an id.
 */
export function createSchemaParser(deps: { resolveReference: ReferenceResolver }): SchemaParser {
  const parseJsonSchema = createJsonSchemaParser();

  return {
    readInput(body) {
      if (body === null || typeof body !== 'object' || Array.isArray(body)) throw registryErrors.invalidSchema('the request body must be a JSON object');
      const b = body as Record<string, unknown>;
      if (typeof b.schema !== 'string' || b.schema.trim() === '') throw registryErrors.invalidSchema('"schema" must be a non-empty string');
      return {
        schema: b.schema,
        schemaType: readSchemaType(b.schemaType),
        references: readReferences(b.references),
        ...(b.metadata != null ? { metadata: b.metadata } : {}),
        ...(b.ruleSet != null ? { ruleSet: b.ruleSet } : {}),
      };
    },

    parse(input, options = {}) {
      let document: unknown;
      let parsed: { kind: 'AVRO'; avro: Type } | { kind: 'JSON'; json: JsonSchema };
      try {
        if (input.schemaType === 'AVRO') {
          const avro = parseAvro(input.schema, input.references, deps.resolveReference);
          parsed = { kind: 'AVRO', avro };
        } else {
          parsed = { kind: 'JSON', json: parseJsonSchema(input.schema) };
        }
        document = JSON.parse(input.schema);
      } catch (err) {
        if (err instanceof SchemaRegistryError) throw err;
        throw registryErrors.invalidSchema(errorMessage(err));
      }
      const normalText = stableStringify(document);
      const identity = stableStringify({
        schemaType: input.schemaType,
        schema: normalText,
        references: input.references,
        metadata: input.metadata ?? null,
        ruleSet: input.ruleSet ?? null,
      });
      const fingerprint = createHash('sha256').update(identity).digest('hex');
      const stored = options.normalize ? { ...input, schema: normalText } : input;
      return { ...parsed, input: stored, fingerprint };
    },
  };
}

function readSchemaType(raw: unknown): SchemaType {
  const value = typeof raw === 'string' ? raw.toUpperCase() : raw;
  if (value === undefined || value === null || value === '' || value === 'AVRO') return 'AVRO';
  if (value === 'JSON') return 'JSON';
  if (value === 'PROTOBUF') {
    throw registryErrors.invalidSchema(
      'PROTOBUF is not supported by the embedded driftloop registry; set SCHEMA_REGISTRY_URL to a Confluent Schema Registry for Protobuf',
    );
  }
  throw registryErrors.invalidSchema(`unknown schemaType ${JSON.stringify(raw)}; supported: AVRO, JSON`);
}

function readReferences(value: unknown): SchemaReference[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw registryErrors.invalidSchema('"references" must be an array');
  return value.map((ref: unknown, i) => {
    const r = (ref ?? {}) as Record<string, unknown>;
    const version = typeof r.version === 'number' ? r.version : Number(r.version);
    if (typeof r.name !== 'string' || typeof r.subject !== 'string' || !Number.isInteger(version)) {
      throw registryErrors.invalidSchema(`references[${i}] needs a string name, a string subject and an integer version`);
    }
    return { name: r.name, subject: r.subject, version };
  });
}
