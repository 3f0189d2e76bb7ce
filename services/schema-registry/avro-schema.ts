import avsc, { type Type } from 'avsc';
import { errorMessage } from '../common/errors.js';
import type { SchemaInput, SchemaReference } from './types.js';

/** Finds the schema a reference points at; throws a registry error when it does not exist. */
export type ReferenceResolver = (ref: SchemaReference) => SchemaInput;

/**
 * Parses Avro schema text into an avsc type, first defining the named types
 * its references bring (recursively), as Confluent's Avro provider does.
 * Throws with avsc's reason when the text is not a valid Avro schema.
 */
export function parseAvro(text: string, references: readonly SchemaReference[], resolve: ReferenceResolver): Type {
  const registry: Record<string, Type> = {};
  defineReferences(references, resolve, registry, new Set());
  return avsc.Type.forSchema(parseJsonText(text) as avsc.Schema, { registry });
}

function defineReferences(
  references: readonly SchemaReference[],
  resolve: ReferenceResolver,
  registry: Record<string, Type>,
  seen: Set<string>,
): void {
  for (const ref of references) {
    const key = `${ref.subject}\u0000${ref.version}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const target = resolve(ref);
    defineReferences(target.references, resolve, registry, seen);
    // A type another reference already defined must not be defined twice.
    if (registry[ref.name]) continue;
    try {
      avsc.Type.forSchema(parseJsonText(target.schema) as avsc.Schema, { registry });
    } catch (err) {
      throw new Error(`reference ${ref.name} (${ref.subject} version ${ref.version}): ${errorMessage(err)}`, { cause: err });
    }
  }
}

/** Avro schema text is JSON (a primitive is written `"string"`, quoted, as Avro's own parser requires). */
function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`not JSON: ${errorMessage(err)}`, { cause: err });
  }
}
