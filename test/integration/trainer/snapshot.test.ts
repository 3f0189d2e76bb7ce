import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClickHouse, migrate, silentLogger, ValidationError, type ClickHouse } from '../../../services/common/index.js';
import { exportSnapshot, newestSplitRows } from '../../../services/trainer/snapshot.js';
import { readTabularCsv } from '../../../services/trainer/builtin/index.js';
import { insertFeatures, insertLabels, normal, prng, type FeatureRow } from '../../support/drift-data.js';
import { tempDir } from '../../support/index.js';

const T0 = Date.UTC(2026, 0, 1);
let ch: ClickHouse;

// The fields never contain commas here, so unquoting is enough.
const rowsOf = (text: string): string[][] => text.trim().split('\n').map((line) => line.split(',').map((f) => f.replace(/^"(.*)"$/, '$1')));

beforeAll(async () => {
  ch = await createClickHouse({ url: `chdb:${await tempDir()}`, database: 'snap', logger: silentLogger() });
  await migrate(ch, { logger: silentLogger() });
  const z = normal(prng(11));
  const features: FeatureRow[] = Array.from({ length: 3000 }, (_, i) => ({
    event_id: `e${String(i).padStart(5, '0')}`,
    ts: T0 + i * 1000,
    numeric: (i % 10 === 0 ? { a: z() } : { a: z(), b: i / 7 }) as Record<string, number>,
    categorical: { color: ['red', 'green', 'blue'][i % 3]! },
  }));
  await insertFeatures(ch, 'm', [...features, features[5]!]); // a duplicate delivery counts once
  // Every row but the last 100 is labeled; one event gets two labels (the first ingested wins).
  await insertLabels(ch, 'm', features.slice(0, 2900).map((f, i) => ({ event_id: f.event_id, ts: f.ts + 500, label: i % 2 ? 'UP' : 'DOWN' })));
  await insertLabels(ch, 'm', [{ event_id: 'e00000', ts: T0 + 9999, label: 'LATE' }]);
}, 60_000);

afterAll(async () => ch?.close());

describe('training snapshots', () => {
  it('exports labeled rows split by a hash of the event id, as CSV with the feature names', async () => {
    const dir = await tempDir();
    const snap = await exportSnapshot(ch, { model: 'm', window: { kind: 'range', from: T0, to: T0 + 3_000_000 } }, dir);
    expect(snap.numeric).toEqual(['a', 'b']);
    expect(snap.categorical).toEqual(['color']);
    const total = snap.files.reduce((n, f) => n + f.rows, 0);
    expect(total).toBe(2900);
    const [train, validation, test] = snap.files;
    expect(train!.rows / total).toBeCloseTo(0.7, 1);
    expect(validation!.rows / total).toBeCloseTo(0.15, 1);
    expect(test!.rows / total).toBeCloseTo(0.15, 1);
    const text = await readFile(join(dir, 'train.csv'), 'utf8');
    const [header, ...rows] = rowsOf(text);
    expect(header).toEqual(['event_id', 'label', 'num:a', 'num:b', 'cat:color']);
    // Every tenth event has no `b`: an empty field; the others have both numbers.
    const all = (await Promise.all(snap.files.map(async (f) => rowsOf(await readFile(f.path, 'utf8')).slice(1)))).flat();
    expect(all.find((r) => r[0] === 'e00010')![3]).toBe('');
    expect(Number(all.find((r) => r[0] === 'e00011')![3])).toBeCloseTo(11 / 7, 12);
    // The first label ingested wins; a duplicate feature event counts once.
    expect(all.find((r) => r[0] === 'e00000')![1]).toBe('DOWN');
    expect(all.filter((r) => r[0] === 'e00005')).toHaveLength(1);
    const ids = rows.map((r) => r[0]);
    expect(ids).toEqual([...ids].sort());
  });

  it('gives the same data version for the same inputs and keeps every row in its split as the window grows', async () => {
    const a = await exportSnapshot(ch, { model: 'm', window: { kind: 'range', from: T0, to: T0 + 2_000_000 } }, await tempDir());
    const b = await exportSnapshot(ch, { model: 'm', window: { kind: 'range', from: T0, to: T0 + 2_000_000 } }, await tempDir());
    expect(a.dataVersion).toBe(b.dataVersion);
    expect(a.dataVersion).toMatch(/^sha256:[0-9a-f]{64}$/);
    const bigger = await exportSnapshot(ch, { model: 'm', window: { kind: 'range', from: T0, to: T0 + 2_500_000 } }, await tempDir());
    expect(bigger.dataVersion).not.toBe(a.dataVersion);
    const splitOf = async (s: typeof a) => {
      const out = new Map<string, string>();
      for (const f of s.files) for (const r of rowsOf(await readFile(f.path, 'utf8')).slice(1)) out.set(r[0]!, f.split);
      return out;
    };
    const before = await splitOf(a);
    const after = await splitOf(bigger);
    for (const [id, split] of before) expect(after.get(id)).toBe(split);
  });

  it('splits another model\'s copy of the events its own way, and alike when given the same splitKey', async () => {
    const range = { kind: 'range', from: T0, to: T0 + 1_000_000 } as const;
    const copy = await exportSnapshot(ch, { model: 'm', window: range }, await tempDir());
    const rows = (await Promise.all(copy.files.map(async (f) => rowsOf(await readFile(f.path, 'utf8')).slice(1)))).flat();
    const features: FeatureRow[] = rows.map((r) => ({ event_id: r[0]!, ts: T0 + Number(r[0]!.slice(1)) * 1000, numeric: { a: Number(r[2]) }, categorical: {} }));
    await insertFeatures(ch, 'm-copy', features);
    await insertLabels(ch, 'm-copy', rows.map((r) => ({ event_id: r[0]!, ts: T0 + Number(r[0]!.slice(1)) * 1000 + 500, label: r[1]! })));
    const splitOf = async (spec: Parameters<typeof exportSnapshot>[1]): Promise<Map<string, string>> => {
      const out = new Map<string, string>();
      for (const f of (await exportSnapshot(ch, spec, await tempDir())).files) for (const r of rowsOf(await readFile(f.path, 'utf8')).slice(1)) out.set(r[0]!, f.split);
      return out;
    };
    const original = await splitOf({ model: 'm', window: range });
    const own = await splitOf({ model: 'm-copy', window: range });
    const alike = await splitOf({ model: 'm-copy', window: range, splitKey: 'm' });
    expect(own.size).toBe(original.size);
    expect([...own].filter(([id, split]) => original.get(id) !== split).length).toBeGreaterThan(original.size / 10);
    expect(alike).toEqual(original);
  });

  it('writes files the builtin trainers read back row for row', async () => {
    const snap = await exportSnapshot(ch, { model: 'm', window: { kind: 'range', from: T0, to: T0 + 3_000_000 } }, await tempDir());
    const files = await Promise.all(snap.files.map((f) => readTabularCsv(f.path)));
    files.forEach((f, k) => expect(f.rows).toHaveLength(snap.files[k]!.rows));
    const eventIds = files.flatMap((f) => f.eventIds);
    const rows = files.flatMap((f) => f.rows);
    expect(rows[eventIds.indexOf('e00011')]).toMatchObject({ label: 'UP', numeric: { b: 11 / 7 }, categorical: { color: 'blue' } });
    expect(Number.isNaN(rows[eventIds.indexOf('e00010')]!.numeric.b ?? Number.NaN)).toBe(true);
    expect(rows.every((r) => typeof r.numeric.a === 'number' && ['red', 'green', 'blue'].includes(r.categorical.color!))).toBe(true);
  });

  it('takes the most recent labeled rows for a latest-N window', async () => {
    const snap = await exportSnapshot(ch, { model: 'm', window: { kind: 'latest', rows: 500 } }, await tempDir());
    expect(snap.files.reduce((n, f) => n + f.rows, 0)).toBe(500);
    expect(snap.to).toBe(T0 + 2899 * 1000);
    expect(snap.from).toBe(T0 + 2400 * 1000);
  });

  it('reads the newest rows of one split, split as the export splits them (the evaluator\'s holdout without newer traffic)', async () => {
    const window = { kind: 'range', from: T0, to: T0 + 2_000_000 } as const;
    const snap = await exportSnapshot(ch, { model: 'm', window, splitKey: 'k' }, await tempDir());
    const test = await readTabularCsv(snap.files.find((f) => f.split === 'test')!.path);
    // Event ids grow with event time here: the newest 50 test rows are the 50 greatest ids of the exported test split.
    const order = test.eventIds.map((id, i) => [id, i] as const).sort((a, b) => (a[0] < b[0] ? 1 : -1)).slice(0, 50);
    const newest = await newestSplitRows(ch, { model: 'm', window, splitKey: 'k' }, 'test', 50);
    expect(newest).toHaveLength(50);
    const view = (r: { label: string; numeric: Record<string, number>; categorical: Record<string, string> }) => [r.label, r.numeric.a, r.categorical.color];
    expect(newest.map(view)).toEqual(order.map(([, i]) => view(test.rows[i]!)));
    // Another split key splits otherwise; more rows than the split holds gives the whole split.
    expect((await newestSplitRows(ch, { model: 'm', window }, 'test', 50)).map(view)).not.toEqual(newest.map(view));
    expect(await newestSplitRows(ch, { model: 'm', window, splitKey: 'k' }, 'test', 100_000)).toHaveLength(test.rows.length);
  });

  it('refuses an empty window and bad splits with the reason', async () => {
    await expect(exportSnapshot(ch, { model: 'nobody', window: { kind: 'latest', rows: 10 } }, await tempDir())).rejects.toThrow(/no labeled events/);
    await expect(exportSnapshot(ch, { model: 'm', window: { kind: 'latest', rows: 10 }, split: { train: 0.9, validation: 0.2 } }, await tempDir())).rejects.toThrow(ValidationError);
  });
});
