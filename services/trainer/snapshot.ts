import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ValidationError, type ClickHouse } from '../common/index.js';
import type { TabularRows } from './builtin/types.js';

/** Which labeled rows a training set holds. */
export type SnapshotWindow =
  /** The most recent `rows` labeled events, by event time. */
  | { kind: 'latest'; rows: number }
  /** Every labeled event with `from <= ts < to` (ms). */
  | { kind: 'range'; from: number; to: number };

export interface SnapshotSpec {
  model: string;
  window: SnapshotWindow;
  /** Shares of train and validation; the rest is test. @default { train: 0.7, validation: 0.15 } */
  split?: { train: number; validation: number };
  /**
   * What the split hashes with each event id. @default the model: two models
   * split the same events independently. The backtest gives every arm (each
   * its own model name) the history's, so all arms split alike.
   */
  splitKey?: string;
}

export interface SnapshotFile {
  split: 'train' | 'validation' | 'test';
  path: string;
  rows: number;
  bytes: number;
  sha256: string;
}

export interface Snapshot {
  /** `sha256:<hex>` of the three files in order: same inputs, same version. */
  dataVersion: string;
  files: SnapshotFile[];
  numeric: string[];
  categorical: string[];
  /** Event-time range the rows cover, ms. */
  from: number;
  to: number;
}

const SPLITS = ['train', 'validation', 'test'] as const;
/** Hash buckets the split is decided in: shares are exact to 1/BUCKETS. */
const BUCKETS = 10_000;

/**
 * Exports a training set: the model's features joined with their labels (the
 * first label ingested per event; duplicate feature events count once), split
 * into train/validation/test by a hash of (model or `splitKey`, event_id) — a row keeps its
 * split when the window moves — and written as CSV files the trainers read
 * (`event_id,label,num:<feature>…,cat:<feature>…`; strings quoted as RFC 4180
 * says, numbers not, an empty field is missing), ordered by
 * event_id so the bytes, and the data version, depend only on the rows.
 */
export async function exportSnapshot(clickhouse: ClickHouse, spec: SnapshotSpec, dir: string): Promise<Snapshot> {
  const { labeled, params } = labeledRows(spec);
  const [shape] = await clickhouse.query<{ numeric: string[]; categorical: string[]; rows: string; from: string | number; to: string | number }>(
    `SELECT arraySort(groupUniqArrayArray(mapKeys(numeric))) AS numeric, arraySort(groupUniqArrayArray(mapKeys(categorical))) AS categorical,
            count() AS rows, toUnixTimestamp64Milli(min(ts)) AS from, toUnixTimestamp64Milli(max(ts)) AS to
     FROM (${labeled})`,
    params,
  );
  if (!shape || Number(shape.rows) === 0) throw new ValidationError('/window', `no labeled events of model ${spec.model} in the window`);
  const numeric = shape.numeric;
  const categorical = shape.categorical;

  await mkdir(dir, { recursive: true });
  const columns = [
    'event_id',
    'label',
    ...numeric.map((_, i) => `if(mapContains(numeric, {n${i}:String}) AND NOT isNaN(numeric[{n${i}:String}]), numeric[{n${i}:String}], NULL) AS \`num:${i}\``),
    ...categorical.map((_, i) => `if(mapContains(categorical, {c${i}:String}), categorical[{c${i}:String}], '') AS \`cat:${i}\``),
  ];
  const names = { ...Object.fromEntries(numeric.map((n, i) => [`n${i}`, n])), ...Object.fromEntries(categorical.map((c, i) => [`c${i}`, c])) };
  const header = ['event_id', 'label', ...numeric.map((n) => `num:${n}`), ...categorical.map((c) => `cat:${c}`)].map(csvField).join(',');
  const files: SnapshotFile[] = [];
  const version = createHash('sha256');
  for (const s of SPLITS) {
    // CSV without names: the header is written here, with the feature names (column aliases cannot carry them).
    const body = await clickhouse.queryText(
      // Missing numbers as empty fields; strings are quoted (RFC 4180), numbers are not.
      `SELECT ${columns.join(', ')} FROM (${labeled}) WHERE split = {split:String} ORDER BY event_id SETTINGS format_csv_null_representation = ''`,
      'CSVWithNames',
      { ...params, ...names, split: s },
    );
    const rowsText = body.slice(body.indexOf('\n') + 1);
    const content = `${header}\n${rowsText}`;
    const path = join(dir, `${s}.csv`);
    await writeFile(path, content);
    const sha256 = createHash('sha256').update(content).digest('hex');
    version.update(`${s}:${sha256}\n`);
    files.push({ split: s, path, rows: rowsText ? rowsText.split('\n').filter(Boolean).length : 0, bytes: Buffer.byteLength(content), sha256 });
  }
  return { dataVersion: `sha256:${version.digest('hex')}`, files, numeric, categorical, from: Number(shape.from), to: Number(shape.to) };
}

/** RFC 4180 quoting for header names. */
function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The query every snapshot reads: one row per labeled event of the window
 * (the first label ingested per event; duplicate feature events count once)
 * with its split, decided by a hash of (model or `splitKey`, event_id).
 */
function labeledRows(spec: SnapshotSpec): { labeled: string; params: Record<string, string | number> } {
  const split = spec.split ?? { train: 0.7, validation: 0.15 };
  if (!(split.train > 0 && split.validation >= 0 && split.train + split.validation <= 1)) {
    throw new ValidationError('/split', 'train must be > 0, validation >= 0 and train + validation <= 1');
  }
  const window = spec.window;
  if (window.kind === 'latest' && !(Number.isInteger(window.rows) && window.rows > 0)) throw new ValidationError('/window/rows', 'must be a positive integer');
  if (window.kind === 'range' && !(window.to > window.from)) throw new ValidationError('/window/to', 'must be after from');

  const params = {
    model: spec.model,
    splitKey: spec.splitKey ?? spec.model,
    from: window.kind === 'range' ? window.from : 0,
    to: window.kind === 'range' ? window.to : 8_000_000_000_000,
    limit: window.kind === 'latest' ? window.rows : 0,
    trainBelow: Math.round(split.train * BUCKETS),
    validationBelow: Math.round((split.train + split.validation) * BUCKETS),
    buckets: BUCKETS,
  };
  // One row per labeled event; the latest-N window takes the newest by event time.
  const labeled = `
    SELECT f.event_id AS event_id, f.first_ts AS ts, f.first_numeric AS numeric, f.first_categorical AS categorical, l.label AS label,
           multiIf(cityHash64(concat({splitKey:String}, ':', f.event_id)) % {buckets:UInt32} < {trainBelow:UInt32}, 'train',
                   cityHash64(concat({splitKey:String}, ':', f.event_id)) % {buckets:UInt32} < {validationBelow:UInt32}, 'validation', 'test') AS split
    FROM (SELECT event_id, any(ts) AS first_ts, any(numeric) AS first_numeric, any(categorical) AS first_categorical
          FROM {db:Identifier}.features
          WHERE model = {model:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts < fromUnixTimestamp64Milli({to:Int64}, 'UTC')
          GROUP BY event_id) AS f
    INNER JOIN (SELECT event_id, argMin(label, ingested_at) AS label FROM {db:Identifier}.labels WHERE model = {model:String} GROUP BY event_id) AS l
      ON f.event_id = l.event_id
    ORDER BY f.first_ts DESC, f.event_id
    ${window.kind === 'latest' ? 'LIMIT {limit:UInt64}' : ''}`;
  return { labeled, params };
}

/**
 * The newest `limit` rows of one split of a snapshot, by event time (the
 * newest first), as `exportSnapshot` would split them: what the evaluator
 * judges on when no labeled traffic newer than the training window exists
 * yet, since the newest rows are the nearest to what the model will serve.
 */
export async function newestSplitRows(clickhouse: ClickHouse, spec: SnapshotSpec, split: SnapshotFile['split'], limit: number): Promise<TabularRows> {
  const { labeled, params } = labeledRows(spec);
  const rows = await clickhouse.query<{ numeric: Record<string, number>; categorical: Record<string, string>; label: string }>(
    `SELECT mapFilter((k, v) -> NOT isNaN(v), numeric) AS numeric, categorical, label FROM (${labeled}) WHERE split = {split:String} ORDER BY ts DESC, event_id LIMIT {newest:UInt64}`,
    { ...params, split, newest: limit },
  );
  return rows.map((r) => ({ numeric: r.numeric, categorical: r.categorical, label: r.label }));
}
