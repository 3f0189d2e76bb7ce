import { readFile } from 'node:fs/promises';
import { ValidationError } from '../../common/index.js';
import { ELEC2_PATH, loadElec2, type Elec2Row } from '../demo/elec2.js';
import { streamByName, type LabeledStream } from './streams/index.js';
import type { HistoryRecord } from './types.js';

/** The generated streams `--history` may name. */
export const STREAM_NAMES = ['sea', 'sea-gradual', 'hyperplane', 'stationary', 'covariate-shift'] as const;

export interface History {
  name: string;
  records: HistoryRecord[];
  /** Record indexes where the concept is known to change (generated streams). */
  changePoints: number[];
}

/** Elec2 rows as history records, as the demo replays them: the five market figures and the period are numeric, the weekday categorical. */
export function elec2Records(rows: readonly Elec2Row[]): HistoryRecord[] {
  return rows.map((r) => ({ ts: r.ts, eventId: `elec2-${r.index}`, numeric: { ...r.numeric }, categorical: { day: r.day }, label: r.label }));
}

export function elec2History(): History {
  return { name: 'elec2', records: elec2Records(loadElec2(ELEC2_PATH)), changePoints: [] };
}

/** A generated stream of `records` records (default: the generator's, 40,000). */
export function streamHistory(name: (typeof STREAM_NAMES)[number], seed: number, records?: number): History {
  const stream: LabeledStream = streamByName(name, { seed, ...(records === undefined ? {} : { records }) });
  return { name, records: stream.records.map((r, i) => ({ ...r, eventId: `${name}-${i}` })), changePoints: stream.changePoints };
}

const TS_COLUMNS = ['ts', 'timestamp', 'time'];

/**
 * A labeled history from a CSV file with a header: a `ts` column (epoch ms or
 * ISO-8601), a `label` column, an optional `event_id`; every other column is
 * a feature, numeric when each of its non-empty values is a number,
 * categorical otherwise. Rows are sorted by time.
 */
export async function csvHistory(path: string): Promise<History> {
  const lines = (await readFile(path, 'utf8')).split(/\r?\n/).filter((l) => l.length > 0);
  if (lines.length < 2) throw new ValidationError('--history', `${path} has no rows under its header`);
  const header = lines[0]!.split(',').map((h) => h.trim());
  const tsColumn = header.findIndex((h) => TS_COLUMNS.includes(h));
  const labelColumn = header.indexOf('label');
  if (tsColumn < 0 || labelColumn < 0) throw new ValidationError('--history', `${path} needs a ts (or timestamp, time) column and a label column; its header is ${header.join(',')}`);
  const idColumn = header.indexOf('event_id');
  const rows = lines.slice(1).map((l) => l.split(','));
  const features = header.map((name, i) => ({ name, i })).filter(({ i }) => i !== tsColumn && i !== labelColumn && i !== idColumn);
  const numeric = new Set(features.filter(({ i }) => rows.every((r) => (r[i] ?? '') === '' || Number.isFinite(Number(r[i])))).map(({ name }) => name));
  const records = rows.map((r, n): HistoryRecord => {
    const text = r[tsColumn] ?? '';
    const ts = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
    if (!Number.isFinite(ts)) throw new ValidationError('--history', `${path} row ${n + 2}: ${JSON.stringify(text)} is not a time (epoch ms or ISO-8601)`);
    const record: HistoryRecord = { ts, eventId: idColumn >= 0 ? r[idColumn]! : `row-${n}`, numeric: {}, categorical: {}, label: r[labelColumn] ?? '' };
    for (const { name, i } of features) {
      const v = r[i] ?? '';
      if (v === '') continue;
      if (numeric.has(name)) record.numeric[name] = Number(v);
      else record.categorical[name] = v;
    }
    return record;
  });
  records.sort((a, b) => a.ts - b.ts);
  return { name: path, records, changePoints: [] };
}

/** `elec2`, a generated stream's name (of `records` records), or a CSV file. */
export async function loadHistory(source: string, seed = 1, records?: number): Promise<History> {
  if (source === 'elec2') return elec2History();
  if ((STREAM_NAMES as readonly string[]).includes(source)) return streamHistory(source as (typeof STREAM_NAMES)[number], seed, records);
  if (source.endsWith('.csv')) return csvHistory(source);
  throw new ValidationError('--history', `${JSON.stringify(source)} is not elec2, a generated stream (${STREAM_NAMES.join(', ')}) or a .csv file`);
}
