import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../services/common/index.js';
import { parseTabularCsv, readTabularCsv, writeTabularCsv, type TabularCsv } from '../../../services/trainer/builtin/index.js';

describe('builtin snapshot CSV', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftloop-csv-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const snapshot: TabularCsv = {
    eventIds: ['e1', 'e2', 'e3'],
    rows: [
      { numeric: { price: 0.1, demand: -3.5e-7 }, categorical: { day: '1', city: 'Sydney, NSW' }, label: 'UP' },
      { numeric: { price: 0.30000000000000004 }, categorical: { day: '2' }, label: 'DOWN' },
      { numeric: { demand: 12 }, categorical: { city: 'say "hi"\nthere' }, label: 'UP' },
    ],
  };

  it.each(['snapshot.csv', 'snapshot.csv.gz'])('round-trips rows with missing values, quoting and exact numbers through %s', async (name) => {
    const path = join(dir, name);
    await writeTabularCsv(path, snapshot);
    expect(await readTabularCsv(path)).toEqual(snapshot);
  });

  it('reads an exported file: empty fields, \\N and nan are missing, CRLF line ends and a trailing blank line are fine', async () => {
    const path = join(dir, 'export.csv');
    await writeFile(path, 'event_id,label,num:a,num:b,cat:c\r\n7,yes,1.5,,x\r\n8,no,\\N,nan,\r\n9,no,-2,inf,"\\N"\r\n\r\n');
    const { eventIds, rows } = await readTabularCsv(path);
    expect(eventIds).toEqual(['7', '8', '9']);
    expect(rows).toEqual([
      { numeric: { a: 1.5 }, categorical: { c: 'x' }, label: 'yes' },
      { numeric: {}, categorical: {}, label: 'no' },
      // Quoted, \N is text rather than NULL.
      { numeric: { a: -2 }, categorical: { c: '\\N' }, label: 'no' },
    ]);
  });

  it.each([
    ['id,label,num:a\n1,x,2\n', 'f.csv:1: the header must start with event_id,label (got id,label)'],
    ['event_id,label,a\n', 'f.csv:1: column 3 "a" must be num:<name> or cat:<name>'],
    ['event_id,label,num:a\n1,x,2\n2,y\n', 'f.csv:3: has 2 fields, the header 3'],
    ['event_id,label,num:a\n1,x,2\n2,y,abc\n', 'f.csv:3: num:a "abc" is not a number'],
    ['event_id,label,num:a\n1,,2\n', 'f.csv:2: label is empty'],
    ['event_id,label,cat:a\n1,x,"open\n', 'f.csv:2: a quoted field is not closed'],
    ['event_id,label,cat:a\n1,x,"a"b\n', 'f.csv:2: unexpected "b" after a field'],
    ['', 'f.csv:1: has no header'],
  ])('refuses %j naming the line', (text, message) => {
    expect(() => parseTabularCsv(text, 'f.csv')).toThrow(ValidationError);
    expect(() => parseTabularCsv(text, 'f.csv')).toThrow(message);
  });
});
