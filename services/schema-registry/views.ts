import type { SchemaReference, StoredSchema, SubjectVersion } from './types.js';

/** GET /schemas/ids/{id}: a schema as Confluent serializes it (schemaType omitted for AVRO, empty references omitted). */
export interface SchemaView {
  schema: string;
  schemaType?: 'JSON';
  references?: SchemaReference[];
  metadata?: unknown;
  ruleSet?: unknown;
  guid: string;
}

/** GET /subjects/{subject}/versions/{version} and lookup: a subject version with its schema. */
export interface SchemaVersionView extends SchemaView {
  subject: string;
  version: number;
  id: number;
}

export function schemaView(s: StoredSchema): SchemaView {
  return {
    schema: s.schema,
    ...(s.schemaType === 'AVRO' ? {} : { schemaType: s.schemaType }),
    ...(s.references.length > 0 ? { references: s.references } : {}),
    ...(s.metadata !== undefined ? { metadata: s.metadata } : {}),
    ...(s.ruleSet !== undefined ? { ruleSet: s.ruleSet } : {}),
    guid: s.guid,
  };
}

export function versionView(v: SubjectVersion, s: StoredSchema): SchemaVersionView {
  return { subject: v.subject, version: v.version, id: s.id, ...schemaView(s) };
}
