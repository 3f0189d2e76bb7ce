import { avroReadProblems } from './avro-compatibility.js';
import { jsonReadProblems } from './json-compatibility.js';
import type { ParsedSchema } from './schema-parser.js';
import type { CompatibilityLevel } from './types.js';

/** An existing version a new schema is checked against. */
export interface PreviousVersion {
  version: number;
  schema: ParsedSchema;
}

/**
 * Checks `candidate` against `previous` (oldest first) under `level`, as
 * Confluent does: non-transitive levels compare with the newest of
 * `previous` only, transitive ones with all of them. BACKWARD: the candidate
 * reads data written with the old schema; FORWARD: the old schema reads data
 * written with the candidate; FULL: both. Returns the reasons it is
 * incompatible; empty means compatible.
 */
export function checkCompatibility(level: CompatibilityLevel, candidate: ParsedSchema, previous: readonly PreviousVersion[]): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const against = transitive ? [...previous].reverse() : previous.slice(-1);
  const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
  const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
  const messages: string[] = [];
  for (const old of against) {
    if (old.schema.kind !== candidate.kind) {
      messages.push(`version ${old.version}: incompatible because of different schema type (${old.schema.kind} → ${candidate.kind})`);
      continue;
    }
    if (backward) {
      for (const p of readProblems(candidate, old.schema)) messages.push(`version ${old.version}: the new schema cannot read data written with it (BACKWARD): ${p}`);
    }
    if (forward) {
      for (const p of readProblems(old.schema, candidate)) messages.push(`version ${old.version}: it cannot read data written with the new schema (FORWARD): ${p}`);
    }
  }
  return messages;
}

/** Reasons `reader` cannot read what `writer` writes; both are of one kind. */
export function readProblems(reader: ParsedSchema, writer: ParsedSchema): string[] {
  if (reader.kind === 'AVRO' && writer.kind === 'AVRO') return avroReadProblems(reader.avro, writer.avro);
  if (reader.kind === 'JSON' && writer.kind === 'JSON') return jsonReadProblems(reader.json, writer.json);
  return [`schema types differ (${writer.kind} written, ${reader.kind} reading)`];
}
