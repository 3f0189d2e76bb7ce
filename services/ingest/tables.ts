import { avroSchema, type DataTopic, type FieldRules } from '../../schemas/index.js';
import type { Column } from '../common/index.js';

/** How a contract field is stored, which decides both decoding and encoding. */
export type ColumnKind = 'string' | 'optionalString' | 'timestamp' | 'nullableFloat64' | 'doubleMap' | 'stringMap';

export interface DataColumn extends Column {
  kind: ColumnKind;
  rules: FieldRules;
  /** Whether the contract gives a default, so a writer schema may leave the field out. */
  hasDefault: boolean;
}

export interface TableSpec {
  topic: DataTopic;
  table: string;
  /** Columns in the contract's field order, then the origin columns. */
  columns: readonly DataColumn[];
  /** The full insert column list (data columns + _topic, _partition, _offset). */
  insertColumns: readonly Column[];
}

export const ORIGIN_COLUMNS: readonly Column[] = [
  { name: '_topic', type: 'String' },
  { name: '_partition', type: 'UInt32' },
  { name: '_offset', type: 'UInt64' },
];

const STRUCTURE_TYPE: Record<ColumnKind, string> = {
  string: 'String',
  optionalString: 'String',
  timestamp: 'DateTime64(3)',
  nullableFloat64: 'Nullable(Float64)',
  doubleMap: 'Map(String, Float64)',
  stringMap: 'Map(String, String)',
};

function kindOf(type: unknown, field: string): ColumnKind {
  const t = type as { type?: string; logicalType?: string; values?: string } | string | unknown[];
  if (t === 'string') return 'string';
  if (Array.isArray(t) && t[0] === 'null' && t[1] === 'string') return 'optionalString';
  if (Array.isArray(t) && t[0] === 'null' && t[1] === 'double') return 'nullableFloat64';
  if (typeof t === 'object' && !Array.isArray(t) && t?.logicalType === 'timestamp-millis') return 'timestamp';
  if (typeof t === 'object' && !Array.isArray(t) && t?.type === 'map' && t.values === 'double') return 'doubleMap';
  if (typeof t === 'object' && !Array.isArray(t) && t?.type === 'map' && t.values === 'string') return 'stringMap';
  throw new Error(`contract field ${field} has a type the ingest cannot store: ${JSON.stringify(type)}`);
}

/** The table a data topic lands in, read off the topic's Avro contract. */
export function tableSpec(topic: DataTopic): TableSpec {
  const columns = avroSchema(topic).fields.map((f) => {
    const kind = kindOf(f.type, `${topic}.${f.name}`);
    return { name: f.name, type: STRUCTURE_TYPE[kind], kind, rules: f['x-rules'] ?? {}, hasDefault: f.default !== undefined };
  });
  // The offset fence reads a decoded row's event id from its first column.
  if (columns[0]?.name !== 'event_id') throw new Error(`contract ${topic} must start with event_id, the ingest's fence reads it first`);
  return { topic, table: topic, columns, insertColumns: [...columns, ...ORIGIN_COLUMNS] };
}
