import { mkdtemp, writeFile, cp } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MIGRATIONS_DIR,
  MigrationError,
  RowBinaryWriter,
  ValidationError,
  createClickHouse,
  migrate,
  silentLogger,
  type ClickHouse,
} from '../../../services/common/index.js';
import { tableSpec } from '../../../services/ingest/index.js';
import { tempDir } from '../../support/index.js';

describe('ClickHouse layer on chDB', () => {
  let ch: ClickHouse;

  beforeAll(async () => {
    ch = await createClickHouse({ url: `chdb:${await tempDir()}`, database: 'layer_test', logger: silentLogger() });
  });
  afterAll(() => ch.close());

  it('applies each migration once and records it', async () => {
    const first = await migrate(ch, { logger: silentLogger() });
    expect(first.applied).toContain('001_events.sql');
    const second = await migrate(ch, { logger: silentLogger() });
    expect(second.applied).toEqual([]);
    const tables = await ch.query<{ name: string }>('SELECT name FROM system.tables WHERE database = {db:String} ORDER BY name');
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['features', 'labels', 'predictions', 'schema_migrations']));
  });

  it('refuses to run when an applied migration file was edited', async () => {
    const dir = await mkdtemp(join(await tempDir(), 'migrations-'));
    await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
    await migrate(ch, { dir, logger: silentLogger() });
    await writeFile(join(dir, '001_events.sql'), '-- edited\nSELECT 1;');
    await expect(migrate(ch, { dir, logger: silentLogger() })).rejects.toThrow(MigrationError);
    await expect(migrate(ch, { dir, logger: silentLogger() })).rejects.toThrow(/001_events.sql was edited after it was applied/);
  });

  it('round-trips RowBinary rows into the features table, maps and timestamps included', async () => {
    const spec = tableSpec('labels');
    const w = new RowBinaryWriter();
    for (let i = 0; i < 3; i++) {
      w.string(`e${i}`);
      w.string('m1');
      w.int64(1_700_000_000_000 + i);
      w.string(i % 2 ? 'UP' : 'DOWN');
      w.string('t');
      w.uint32(0);
      w.uint64(i);
    }
    await ch.insertRowBinary(spec.table, spec.insertColumns, w.bytes(), { dedupToken: 'labels:roundtrip' });
    const rows = await ch.query<{ event_id: string; ts: string; label: string; _offset: number }>(
      "SELECT event_id, ts, label, _offset FROM {db:Identifier}.labels WHERE model = {m:String} ORDER BY _offset",
      { m: 'm1' },
    );
    expect(rows).toEqual([
      { event_id: 'e0', ts: '2023-11-14T22:13:20.000Z', label: 'DOWN', _offset: 0 },
      { event_id: 'e1', ts: '2023-11-14T22:13:20.001Z', label: 'UP', _offset: 1 },
      { event_id: 'e2', ts: '2023-11-14T22:13:20.002Z', label: 'DOWN', _offset: 2 },
    ]);
  });

  it('keeps one copy of an insert retried with the same dedup token', async () => {
    const spec = tableSpec('labels');
    const w = new RowBinaryWriter();
    w.string('dup');
    w.string('m2');
    w.int64(1_700_000_000_000);
    w.string('UP');
    w.string('t');
    w.uint32(1);
    w.uint64(42);
    for (let i = 0; i < 3; i++) await ch.insertRowBinary(spec.table, spec.insertColumns, w.bytes(), { dedupToken: 'labels:same-token' });
    await ch.insertRowBinary(spec.table, spec.insertColumns, w.bytes(), { dedupToken: 'labels:other-token' });
    const [row] = await ch.query<{ n: number }>("SELECT count() AS n FROM {db:Identifier}.labels WHERE model = 'm2'");
    expect(row!.n).toBe(2);
  });

  it('binds values server-side, so quotes in values are data, not SQL', async () => {
    const tricky = "x'); DROP TABLE labels; --";
    const [row] = await ch.query<{ v: string }>('SELECT {v:String} AS v', { v: tricky });
    expect(row!.v).toBe(tricky);
  });

  it('refuses table and column names that are not identifiers', async () => {
    await expect(ch.insertObjects('labels; DROP TABLE x', [{ a: 1 }])).rejects.toThrow(ValidationError);
    await expect(ch.insertRowBinary('labels', [{ name: 'a b', type: 'String' }], Buffer.from([0]))).rejects.toThrow(ValidationError);
  });

  it('reports a missing table as a ClickHouse error with its code', async () => {
    await expect(ch.query('SELECT * FROM {db:Identifier}.nope')).rejects.toMatchObject({ code: 'DL_CLICKHOUSE', context: { clickhouseCode: 60 } });
  });
});
