import avro from 'avsc';
import { DecodeError, ValidationError, type RowBinaryWriter } from '../../common/index.js';
import { avroSchema } from '../../../schemas/index.js';
import type { DataColumn, TableSpec } from '../tables.js';
import { checkRange, compileKeyRule, compileStringRule } from '../rules.js';
import { checkDouble, writeValue } from '../value-encoder.js';
import { AvroCursor } from './cursor.js';

type AvroType = avro.Type & {
  typeName: string;
  fields?: { name: string; type: AvroType }[];
  valuesType?: AvroType;
  itemsType?: AvroType;
  types?: AvroType[];
  size?: number;
};

type Skip = (c: AvroCursor) => void;
type Write = (c: AvroCursor, out: RowBinaryWriter) => void;

/** Writes the data columns of one Confluent Avro message (payload from `offset`) as RowBinary. */
export type Transcode = (buf: Buffer, offset: number, out: RowBinaryWriter) => void;

class Unsupported extends Error {}

function skipper(t: AvroType): Skip {
  switch (t.typeName) {
    case 'null':
      return () => {};
    case 'boolean':
      return (c) => void c.skip(1);
    case 'int':
    case 'long':
    case 'enum':
      return (c) => void c.long();
    case 'float':
      return (c) => void c.skip(4);
    case 'double':
      return (c) => void c.skip(8);
    case 'string':
    case 'bytes':
      return (c) => void c.bytes();
    case 'fixed':
      return (c) => void c.skip(t.size!);
    case 'record': {
      const fields = t.fields!.map((f) => skipper(f.type));
      return (c) => {
        for (const f of fields) f(c);
      };
    }
    case 'array':
    case 'map': {
      const item = skipper(t.itemsType ?? t.valuesType!);
      const isMap = t.typeName === 'map';
      return (c) => {
        for (let n = c.blockCount(); n > 0; n = c.blockCount()) {
          for (let i = 0; i < n; i++) {
            if (isMap) c.bytes();
            item(c);
          }
        }
      };
    }
    default:
      if (t.typeName.startsWith('union')) {
        const branches = t.types!.map(skipper);
        return (c) => branchOf(c, branches)(c);
      }
      throw new Unsupported(`Avro type ${t.typeName}`);
  }
}

function branchOf<T>(c: AvroCursor, branches: readonly T[]): T {
  const i = c.long();
  const b = branches[i];
  if (b === undefined) throw new DecodeError(`Avro union branch ${i} does not exist`);
  return b;
}

/** Reads a writer value of type `t` as a JS number (for timestamps and promoted numerics). */
function numberReader(t: AvroType): ((c: AvroCursor) => number) | undefined {
  switch (t.typeName) {
    case 'int':
    case 'long':
      return (c) => c.long();
    case 'float':
      return (c) => c.float();
    case 'double':
      return (c) => c.double();
    default:
      return undefined;
  }
}

function stringWriter(col: DataColumn, path: string): Write {
  const rule = compileStringRule(col.rules);
  return (c, out) => {
    const start = c.bytes();
    const reason = rule?.(c.buf, start, c.pos);
    if (reason) throw new ValidationError(path, reason);
    out.stringBytes(c.buf, start, c.pos);
  };
}

function mapWriter(col: DataColumn, writer: AvroType, path: string): Write {
  if (writer.typeName !== 'map') throw new Unsupported(`${path} is ${writer.typeName}, not a map`);
  const values = writer.valuesType!;
  const keyRule = compileKeyRule(col.rules);
  const maxProperties = col.rules.maxProperties ?? Infinity;
  /** Writes one map value; a double map's returns the number when it may break the numeric rule (checkDouble), else undefined. */
  let value: (c: AvroCursor, out: RowBinaryWriter) => number | undefined;
  if (col.kind === 'doubleMap') {
    const read = numberReader(values);
    if (!read) throw new Unsupported(`${path} values are ${values.typeName}`);
    // Avro doubles and RowBinary Float64 are the same 8 little-endian bytes: copy them,
    // reading the number only when its exponent is all ones (an infinity or NaN).
    value =
      values.typeName === 'double'
        ? (c, out) => {
            const start = c.skip(8);
            out.raw(c.buf, start, c.pos);
            return (c.buf[start + 7]! & 0x7f) === 0x7f && (c.buf[start + 6]! & 0xf0) === 0xf0 ? c.buf.readDoubleLE(start) : undefined;
          }
        : (c, out) => {
            const v = read(c);
            out.float64(v);
            return v;
          };
  } else {
    if (values.typeName !== 'string') throw new Unsupported(`${path} values are ${values.typeName}`);
    value = (c, out) => void out.stringBytes(c.buf, c.bytes(), c.pos);
  }
  return (c, out) => {
    const at = out.beginCount();
    let count = 0;
    for (let n = c.blockCount(); n > 0; n = c.blockCount()) {
      count += n;
      if (count > maxProperties) throw new ValidationError(path, `must NOT have more than ${maxProperties} properties`);
      for (let i = 0; i < n; i++) {
        const keyStart = c.bytes();
        const keyEnd = c.pos;
        const reason = keyRule?.(c.buf, keyStart, keyEnd);
        if (reason) throw new ValidationError(path, reason);
        out.stringBytes(c.buf, keyStart, keyEnd);
        const v = value(c, out);
        if (v !== undefined) checkDouble(v, `${path}/${c.buf.toString('utf8', keyStart, keyEnd)}`);
      }
    }
    out.endCount(at, count);
  };
}

/** How to move a writer field into its column, by column kind; unions unwrap to their branches. */
function columnWriter(col: DataColumn, writer: AvroType, path: string): Write {
  if (writer.typeName.startsWith('union')) {
    const branches: Write[] = writer.types!.map((b) =>
      b.typeName === 'null' ? nullWriter(col, path) : columnWriter(col, b, path),
    );
    return (c, out) => branchOf(c, branches)(c, out);
  }
  switch (col.kind) {
    case 'string':
    case 'optionalString':
      if (writer.typeName !== 'string') throw new Unsupported(`${path} is ${writer.typeName}, not a string`);
      return stringWriter(col, path);
    case 'timestamp': {
      if (writer.typeName !== 'long' && writer.typeName !== 'int') throw new Unsupported(`${path} is ${writer.typeName}`);
      return (c, out) => {
        const v = c.long();
        const reason = checkRange(col.rules, v);
        if (reason) throw new ValidationError(path, reason);
        out.int64(v);
      };
    }
    case 'nullableFloat64': {
      const read = numberReader(writer);
      if (!read) throw new Unsupported(`${path} is ${writer.typeName}`);
      return (c, out) => {
        const v = read(c);
        checkDouble(v, path);
        out.uint8(0);
        out.float64(v);
      };
    }
    case 'doubleMap':
    case 'stringMap':
      return mapWriter(col, writer, path);
  }
}

function nullWriter(col: DataColumn, path: string): Write {
  if (col.kind === 'optionalString') return (_c, out) => out.varUInt(0);
  if (col.kind === 'nullableFloat64') return (_c, out) => out.uint8(1);
  return () => {
    throw new ValidationError(path, 'must not be null');
  };
}

/**
 * Compiles a transcoder from one writer schema into the topic's table, or
 * returns why it cannot (then the caller decodes with avsc instead).
 * Writer fields the contract lacks are skipped; contract fields the writer
 * lacks get the contract's default, or the schema is refused if there is none.
 */
export function compileTranscoder(writerSchema: unknown, spec: TableSpec): Transcode | string {
  let writer: AvroType;
  try {
    writer = avro.Type.forSchema(writerSchema as avro.Schema) as AvroType;
  } catch (err) {
    return `writer schema does not parse: ${(err as Error).message}`;
  }
  if (writer.typeName !== 'record') return `writer schema is a ${writer.typeName}, not a record`;
  const contractDefaults = new Map(avroSchema(spec.topic).fields.map((f) => [f.name, f.default]));
  const columnIndex = new Map(spec.columns.map((c, i) => [c.name, i]));
  try {
    const fieldSteps = writer.fields!.map((f) => {
      const i = columnIndex.get(f.name);
      return i === undefined
        ? { column: -1, skip: skipper(f.type), write: undefined }
        : { column: i, skip: skipper(f.type), write: columnWriter(spec.columns[i]!, f.type, `/${f.name}`) };
    });
    const present = new Set(fieldSteps.map((s) => s.column));
    const defaults: (Write | undefined)[] = spec.columns.map((col, i) => {
      if (present.has(i)) return undefined;
      if (!col.hasDefault) throw new Unsupported(`writer schema lacks ${col.name}, which has no default`);
      const value = contractDefaults.get(col.name);
      return (_c, out) => writeValue(col, value, out, `/${col.name}`);
    });
    return transcoder(fieldSteps, defaults, spec.columns.length);
  } catch (err) {
    if (err instanceof Unsupported) return err.message;
    throw err;
  }
}

function transcoder(
  steps: { column: number; skip: Skip; write: Write | undefined }[],
  defaults: (Write | undefined)[],
  columnCount: number,
): Transcode {
  const c = new AvroCursor();
  const written = steps.filter((s) => s.column >= 0).map((s) => s.column);
  const inOrder = defaults.every((d) => d === undefined) && written.every((col, i) => col === i);
  if (inOrder) {
    // The writer's fields are the table's columns in order (the contract itself): one pass.
    return (buf, offset, out) => {
      c.reset(buf, offset);
      for (const s of steps) {
        if (s.write) s.write(c, out);
        else s.skip(c);
      }
      if (c.pos !== buf.length) throw new DecodeError(`${buf.length - c.pos} bytes after the Avro record`);
    };
  }
  // Otherwise find each column's bytes first, then write them in table order.
  const starts = new Int32Array(columnCount);
  const writers: (Write | undefined)[] = new Array(columnCount);
  for (const s of steps) if (s.write) writers[s.column] = s.write;
  return (buf, offset, out) => {
    c.reset(buf, offset);
    for (const s of steps) {
      if (s.column >= 0) starts[s.column] = c.pos;
      s.skip(c);
    }
    if (c.pos !== buf.length) throw new DecodeError(`${buf.length - c.pos} bytes after the Avro record`);
    for (let i = 0; i < columnCount; i++) {
      const w = writers[i];
      if (w) {
        c.pos = starts[i]!;
        w(c, out);
      } else defaults[i]!(c, out);
    }
  };
}
