/** Schema types the embedded registry stores. PROTOBUF is refused with 42201. */
export const SCHEMA_TYPES = ['AVRO', 'JSON'] as const;
export type SchemaType = (typeof SCHEMA_TYPES)[number];

/** Confluent compatibility levels; BACKWARD is the default, as in Confluent. */
export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;
export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];
export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

/** A schema reference as Confluent writes it: a named type defined by another subject's version. */
export interface SchemaReference {
  name: string;
  subject: string;
  version: number;
}

/** What a client sends to register, look up or check a schema. */
export interface SchemaInput {
  schema: string;
  schemaType: SchemaType;
  references: SchemaReference[];
  /** Confluent data-contract metadata, stored and returned as sent. */
  metadata?: unknown;
  /** Confluent data-contract rule set, stored and returned as sent. */
  ruleSet?: unknown;
}

/** One distinct schema; `id` is global across subjects. */
export interface StoredSchema extends SchemaInput {
  id: number;
  guid: string;
  /** sha256 of the schema's identity: type, normalized text, references, metadata, rule set. */
  fingerprint: string;
}

export type VersionState = 'active' | 'deleted' | 'purged';

export interface SubjectVersion {
  subject: string;
  version: number;
  schemaId: number;
  state: VersionState;
}
