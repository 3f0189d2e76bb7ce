import { readFile, writeFile } from 'node:fs/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { ValidationError } from '../../common/index.js';
import { compareStrings } from './preprocess.js';
import type { TabularRow, TabularRows } from './types.js';

/**
 * Snapshot files: `event_id,label,num:<name>...,cat:<name>...`, RFC 4180
 * quoting, optionally gzipped (`.gz`). An empty field is a missing value, as
 * are unquoted `\N` (ClickHouse's NULL) and, in numeric columns, nan and inf.
 */
export interface TabularCsv {
  eventIds: string[];
  rows: TabularRows;
}

interface Field {
  text: string;
  quoted: boolean;
}

/** Splits CSV text into records, each with the 1-based line it starts on. */
function* records(text: string, file: string): Generator<{ line: number; fields: Field[] }> {
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const startLine = line;
    const fields: Field[] = [];
    for (;;) {
      let value = '';
      let quoted = false;
      if (text[i] === '"') {
        quoted = true;
        i++;
        for (;;) {
          if (i >= n) throw new ValidationError(`${file}:${startLine}`, 'a quoted field is not closed');
          const c = text[i]!;
          if (c === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (c === '\n') line++;
          value += c;
          i++;
        }
      } else {
        const start = i;
        while (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r') i++;
        value = text.slice(start, i);
      }
      fields.push({ text: value, quoted });
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (i < n && text[i] !== '\n') throw new ValidationError(`${file}:${line}`, `unexpected ${JSON.stringify(text[i])} after a field`);
      i++;
      line++;
      break;
    }
    // A blank line (one empty unquoted field) carries no record.
    if (fields.length === 1 && fields[0]!.text === '' && !fields[0]!.quoted) continue;
    yield { line: startLine, fields };
  }
}

const MISSING_NUMBER = /^(nan|[+-]?inf(inity)?)$/i;

/** Reads a snapshot file into rows for the builtin trainers, with each row's event id. */
export async function readTabularCsv(path: string): Promise<TabularCsv> {
  const bytes = await readFile(path);
  const text = (path.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8');
  return parseTabularCsv(text, path);
}

/** readTabularCsv on text; `file` names the source in errors. */
export function parseTabularCsv(text: string, file = 'csv'): TabularCsv {
  const it = records(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, file);
  const first = it.next();
  if (first.done) throw new ValidationError(`${file}:1`, 'has no header');
  const header = first.value.fields.map((f) => f.text);
  if (header[0] !== 'event_id' || header[1] !== 'label') {
    throw new ValidationError(`${file}:1`, `the header must start with event_id,label (got ${header.slice(0, 2).join(',')})`);
  }
  const columns = header.slice(2).map((name, i) => {
    const m = /^(num|cat):(.+)$/.exec(name);
    if (!m) throw new ValidationError(`${file}:1`, `column ${i + 3} ${JSON.stringify(name)} must be num:<name> or cat:<name>`);
    return { kind: m[1] as 'num' | 'cat', name: m[2]! };
  });

  const eventIds: string[] = [];
  const rows: TabularRows = [];
  for (const { line, fields } of it) {
    if (fields.length !== header.length) throw new ValidationError(`${file}:${line}`, `has ${fields.length} fields, the header ${header.length}`);
    const label = fields[1]!.text;
    if (label === '') throw new ValidationError(`${file}:${line}`, 'label is empty');
    const row: TabularRow = { numeric: {}, categorical: {}, label };
    for (let c = 0; c < columns.length; c++) {
      const { kind, name } = columns[c]!;
      const field = fields[c + 2]!;
      const value = field.text;
      if (value === '' || (!field.quoted && value === '\\N')) continue;
      if (kind === 'cat') {
        row.categorical[name] = value;
        continue;
      }
      const trimmed = value.trim();
      if (MISSING_NUMBER.test(trimmed)) continue;
      const number = trimmed === '' ? NaN : Number(trimmed);
      if (!Number.isFinite(number)) throw new ValidationError(`${file}:${line}`, `num:${name} ${JSON.stringify(value)} is not a number`);
      row.numeric[name] = number;
    }
    eventIds.push(fields[0]!.text);
    rows.push(row);
  }
  return { eventIds, rows };
}

const quote = (value: string): string => (/[",\r\n]/.test(value) || value === '\\N' ? `"${value.replaceAll('"', '""')}"` : value);

/** The snapshot format readTabularCsv reads; missing and non-finite numbers are written empty. Gzipped when `path` ends in `.gz`. */
export async function writeTabularCsv(path: string, data: TabularCsv): Promise<void> {
  const text = formatTabularCsv(data);
  await writeFile(path, path.endsWith('.gz') ? gzipSync(text) : text);
}

export function formatTabularCsv({ eventIds, rows }: TabularCsv): string {
  if (eventIds.length !== rows.length) throw new ValidationError('/eventIds', `holds ${eventIds.length} ids for ${rows.length} rows`);
  const numeric = [...new Set(rows.flatMap((r) => Object.keys(r.numeric)))].sort(compareStrings);
  const categorical = [...new Set(rows.flatMap((r) => Object.keys(r.categorical)))].sort(compareStrings);
  const lines = [['event_id', 'label', ...numeric.map((n) => `num:${n}`), ...categorical.map((n) => `cat:${n}`)].map(quote).join(',')];
  rows.forEach((row, i) => {
    const fields = [quote(eventIds[i]!), quote(row.label)];
    for (const name of numeric) {
      const v = row.numeric[name];
      fields.push(v !== undefined && Number.isFinite(v) ? String(v) : '');
    }
    for (const name of categorical) fields.push(quote(row.categorical[name] ?? ''));
    lines.push(fields.join(','));
  });
  return `${lines.join('\n')}\n`;
}
