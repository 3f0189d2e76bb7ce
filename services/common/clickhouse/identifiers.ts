import { ValidationError } from '../errors.js';

export const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Column types we generate, e.g. `Map(LowCardinality(String), Float64)` or `DateTime64(3, 'UTC')`. */
const COLUMN_TYPE = /^[A-Za-z0-9_(), ']+$/;

/** Throws unless `name` is a plain identifier; the only way names enter SQL text. */
export function assertIdentifier(name: string, what = 'identifier'): string {
  if (!IDENTIFIER.test(name)) throw new ValidationError(what, `${JSON.stringify(name)} is not an identifier (${IDENTIFIER.source})`);
  return name;
}

export function assertColumnType(type: string): string {
  if (!COLUMN_TYPE.test(type)) throw new ValidationError('column type', `${JSON.stringify(type)} is not a column type`);
  return type;
}
