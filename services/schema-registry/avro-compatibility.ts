import type { Type } from 'avsc';
import { errorMessage } from '../common/errors.js';

/**
 * Why `reader` cannot decode data written with `writer`, per Avro schema
 * resolution as avsc implements it (missing defaults, type promotions, enum
 * symbols, union branches, names and aliases); empty when it can.
 */
export function avroReadProblems(reader: Type, writer: Type): string[] {
  try {
    reader.createResolver(writer);
    return [];
  } catch (err) {
    return [errorMessage(err)];
  }
}
