/**
 * Derives each topic's JSON Schema from its Avro schema, so the two contracts
 * cannot drift apart. Validation rules live in the .avsc as `x-rules` on a
 * field (Avro ignores unknown attributes) and become JSON Schema keywords here;
 * the ingest fast path enforces the same rules on Avro bytes.
 */

export interface FieldRules {
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  maxProperties?: number;
  /** Longest map key. */
  keyMaxLength?: number;
}

type Avro = string | AvroObject | Avro[];
interface AvroObject {
  type: Avro;
  name?: string;
  doc?: string;
  fields?: AvroField[];
  items?: Avro;
  values?: Avro;
  logicalType?: string;
  symbols?: string[];
}
export interface AvroField {
  name: string;
  type: Avro;
  doc?: string;
  default?: unknown;
  'x-rules'?: FieldRules;
}
type Json = Record<string, unknown>;

/** Event times arrive as epoch milliseconds or ISO-8601 text in JSON. */
export const ISO_TIMESTAMP = '^\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})?$';

function withRules(schema: Json, rules: FieldRules | undefined): Json {
  if (!rules) return schema;
  const out = { ...schema };
  for (const key of ['minLength', 'maxLength', 'pattern', 'enum', 'minimum', 'maximum', 'maxProperties'] as const) {
    if (rules[key] !== undefined) out[key] = rules[key];
  }
  if (rules.keyMaxLength !== undefined) out.propertyNames = { maxLength: rules.keyMaxLength };
  return out;
}

function convert(type: Avro, rules?: FieldRules): Json {
  if (Array.isArray(type)) {
    const nonNull = type.filter((t) => t !== 'null');
    const branches = nonNull.map((t) => convert(t, rules));
    if (type.includes('null')) branches.unshift({ type: 'null' });
    return branches.length === 1 ? branches[0]! : { anyOf: branches };
  }
  if (typeof type === 'string') {
    switch (type) {
      case 'string':
        return withRules({ type: 'string' }, rules);
      case 'int':
      case 'long':
        return withRules({ type: 'integer' }, rules);
      case 'float':
      case 'double':
        return withRules({ type: 'number' }, rules);
      case 'boolean':
        return { type: 'boolean' };
      case 'bytes':
        return { type: 'string', contentEncoding: 'base64' };
      case 'null':
        return { type: 'null' };
      default:
        throw new Error(`unsupported Avro type ${type}`);
    }
  }
  if (type.logicalType === 'timestamp-millis') {
    return { anyOf: [withRules({ type: 'integer' }, rules), { type: 'string', pattern: ISO_TIMESTAMP }] };
  }
  switch (type.type) {
    case 'record':
      return recordSchema(type);
    case 'array':
      return { type: 'array', items: convert(type.items!) };
    case 'map': {
      // JSON has no NaN: a null numeric value means missing, like NaN in Avro.
      const values = convert(type.values!);
      const nullable = values.type === 'number' ? { type: ['number', 'null'] } : values;
      return withRules({ type: 'object', additionalProperties: nullable }, rules);
    }
    case 'enum':
      return { type: 'string', enum: type.symbols };
    default:
      return convert(type.type, rules);
  }
}

function recordSchema(record: AvroObject): Json {
  const properties: Json = {};
  const required: string[] = [];
  for (const field of record.fields ?? []) {
    const schema = convert(field.type, field['x-rules']);
    properties[field.name] = field.doc ? { description: field.doc, ...schema } : schema;
    if (field.default === undefined) required.push(field.name);
  }
  return { type: 'object', title: record.name, ...(record.doc ? { description: record.doc } : {}), properties, required };
}

export function avroToJsonSchema(avro: AvroObject, id: string): Json {
  return { $schema: 'http://json-schema.org/draft-07/schema#', $id: id, ...recordSchema(avro) };
}
