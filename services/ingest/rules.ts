import type { FieldRules } from '../../schemas/index.js';

/** Returns why the UTF-8 string `buf[start, end)` breaks the rules, or undefined. */
export type BytesRule = (buf: Buffer, start: number, end: number) => string | undefined;

/** Unicode code points in UTF-8 bytes (what JSON Schema's length keywords count). */
function codePoints(buf: Buffer, start: number, end: number): number {
  let n = 0;
  for (let i = start; i < end; i++) if ((buf[i]! & 0xc0) !== 0x80) n++;
  return n;
}

/**
 * Compiles the string rules of a contract field for the Avro fast path: the
 * same checks JSON Schema applies on the JSON path, run on raw bytes so the
 * common case decodes nothing.
 */
export function compileStringRule(rules: FieldRules): BytesRule | undefined {
  const { minLength, maxLength, pattern, enum: allowed } = rules;
  if (minLength === undefined && maxLength === undefined && pattern === undefined && allowed === undefined) return undefined;
  const regex = pattern === undefined ? undefined : new RegExp(pattern);
  const set = allowed === undefined ? undefined : new Set(allowed);
  return (buf, start, end) => {
    const bytes = end - start;
    // Bytes bound code points from above and code points ≥ bytes / 4, so most strings need no counting.
    if (maxLength !== undefined && bytes > maxLength && codePoints(buf, start, end) > maxLength) {
      return `must NOT have more than ${maxLength} characters`;
    }
    if (minLength !== undefined && bytes < 4 * minLength && (bytes < minLength || codePoints(buf, start, end) < minLength)) {
      return `must NOT have fewer than ${minLength} characters`;
    }
    if (regex || set) {
      const s = buf.toString('utf8', start, end);
      if (regex && !regex.test(s)) return `must match pattern "${pattern}"`;
      if (set && !set.has(s)) return `must be equal to one of the allowed values (${allowed!.join(', ')})`;
    }
    return undefined;
  };
}

/** Map key rule: the longest key allowed, counted in code points. */
export function compileKeyRule(rules: FieldRules): BytesRule | undefined {
  const max = rules.keyMaxLength;
  if (max === undefined) return undefined;
  return (buf, start, end) =>
    end - start > max && codePoints(buf, start, end) > max ? `property name must NOT have more than ${max} characters` : undefined;
}

export function checkRange(rules: FieldRules, v: number): string | undefined {
  if (rules.minimum !== undefined && v < rules.minimum) return `must be >= ${rules.minimum}`;
  if (rules.maximum !== undefined && v > rules.maximum) return `must be <= ${rules.maximum}`;
  return undefined;
}
