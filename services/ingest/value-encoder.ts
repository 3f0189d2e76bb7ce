import { ValidationError, type RowBinaryWriter } from '../common/index.js';
import type { DataColumn } from './tables.js';

/** Milliseconds since the epoch from a number or ISO-8601 text, else a ValidationError. */
export function toEpochMillis(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  if (typeof v === 'string') {
    const ms = Date.parse(v);
    if (!Number.isNaN(ms)) return ms;
  }
  throw new ValidationError(path, 'must be epoch milliseconds or an ISO-8601 timestamp');
}

/**
 * The numeric rule of every double column, on every path (JSON, Avro fast path,
 * avsc): a finite number, or NaN where the contract says it marks a missing
 * value. An infinity (an Avro double, or JSON text like 1e400) is refused, as
 * the gateway refuses it: no model or drift statistic can use it.
 */
export function checkDouble(v: number, path: string): void {
  if (v === Infinity || v === -Infinity) throw new ValidationError(path, `must be a finite number, or NaN for a missing value (got ${v})`);
}

/**
 * Encodes one decoded JS value of a contract field as RowBinary. Used for
 * plain JSON, JSON Schema and Avro the fast path cannot transcode, after the
 * value has passed the contract's JSON Schema.
 */
export function writeValue(col: DataColumn, value: unknown, out: RowBinaryWriter, path: string): void {
  switch (col.kind) {
    case 'string':
      if (typeof value !== 'string') throw new ValidationError(path, 'must be string');
      out.string(value);
      return;
    case 'optionalString':
      out.string(typeof value === 'string' ? value : '');
      return;
    case 'timestamp':
      out.int64(toEpochMillis(value, path));
      return;
    case 'nullableFloat64':
      if (typeof value === 'number') checkDouble(value, path);
      out.nullableFloat64(typeof value === 'number' ? value : null);
      return;
    case 'doubleMap':
    case 'stringMap': {
      const entries = value && typeof value === 'object' ? Object.entries(value as Record<string, unknown>) : [];
      out.varUInt(entries.length);
      for (const [k, v] of entries) {
        out.string(k);
        if (col.kind !== 'doubleMap') out.string(String(v));
        else if (typeof v !== 'number') out.float64(Number.NaN);
        else {
          checkDouble(v, `${path}/${k}`);
          out.float64(v);
        }
      }
      return;
    }
  }
}
