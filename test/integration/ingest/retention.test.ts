import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, silentLogger, type ClickHouse } from '../../../services/common/index.js';
import { ingestOptions } from '../../../services/ingest/index.js';
import { applyRetention } from '../../../services/ingest/retention.js';
import { migratedChdb } from '../../support/clickhouse.js';

const FOREVER = { features: 0, predictions: 0, labels: 0 };

describe('event-table retention', () => {
  let ch: ClickHouse;

  beforeAll(async () => {
    ch = await migratedChdb('retention_test');
  });
  afterAll(() => ch.close());

  const engine = async (table: string): Promise<string> =>
    (await ch.query<{ engine_full: string }>('SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {table:String}', { table }))[0]!.engine_full;

  it('sets, changes and removes each table’s TTL from the configured days, and leaves a table already at its setting alone', async () => {
    expect(await applyRetention(ch, FOREVER, silentLogger())).toEqual([]);
    expect(await applyRetention(ch, { ...FOREVER, features: 30, labels: 400 }, silentLogger())).toEqual([
      { table: 'features', fromDays: null, toDays: 30 },
      { table: 'labels', fromDays: null, toDays: 400 },
    ]);
    expect(await engine('features')).toMatch(/TTL toDateTime\(ingested_at\) \+ toIntervalDay\(.*30/);
    expect(await engine('predictions')).not.toMatch(/\bTTL\b/);
    // Again with the same days: nothing to do.
    expect(await applyRetention(ch, { ...FOREVER, features: 30, labels: 400 }, silentLogger())).toEqual([]);
    expect(await applyRetention(ch, { ...FOREVER, features: 7 }, silentLogger())).toEqual([
      { table: 'features', fromDays: 30, toDays: 7 },
      { table: 'labels', fromDays: 400, toDays: null },
    ]);
    expect(await engine('labels')).not.toMatch(/\bTTL\b/);
    await applyRetention(ch, FOREVER, silentLogger());
    expect(await engine('features')).not.toMatch(/\bTTL\b/);
  });

  it('drops rows stored longer ago than the retention, whatever their event time, and keeps the rest', async () => {
    const now = Date.now();
    const day = 86_400_000;
    const rows = [
      // Stored 10 days ago: expired under a 7-day retention.
      { event_id: 'old-stored', ts: now - 10 * day, ingested_at: now - 10 * day },
      // An event of 1997 replayed just now: kept.
      { event_id: 'old-event-replayed', ts: Date.UTC(1997, 3, 7), ingested_at: now },
      { event_id: 'fresh', ts: now, ingested_at: now },
    ];
    for (const r of rows) {
      await ch.command(
        `INSERT INTO {db:Identifier}.labels (model, ts, event_id, label, _topic, _partition, _offset, ingested_at)
         VALUES ('retention', fromUnixTimestamp64Milli({ts:Int64}), {event_id:String}, 'UP', 'labels', 0, 0, fromUnixTimestamp64Milli({ingested_at:Int64}))`,
        { ts: r.ts, event_id: r.event_id, ingested_at: r.ingested_at },
      );
    }
    await applyRetention(ch, { ...FOREVER, labels: 7 }, silentLogger());
    await ch.command('OPTIMIZE TABLE {db:Identifier}.labels FINAL');
    const left = await ch.query<{ event_id: string }>("SELECT event_id FROM {db:Identifier}.labels WHERE model = 'retention' ORDER BY event_id");
    expect(left.map((r) => r.event_id)).toEqual(['fresh', 'old-event-replayed']);
  });

  it('reads the days from RETENTION_DAYS_*, refusing what is not a whole number of days', () => {
    const c = loadConfig(ingestOptions, { RETENTION_DAYS_FEATURES: '30' });
    expect([c.retentionDaysFeatures, c.retentionDaysPredictions, c.retentionDaysLabels]).toEqual([30, 0, 0]);
    expect(() => loadConfig(ingestOptions, { RETENTION_DAYS_LABELS: '-1' })).toThrow(/RETENTION_DAYS_LABELS/);
    expect(() => loadConfig(ingestOptions, { RETENTION_DAYS_PREDICTIONS: '1.5' })).toThrow(/RETENTION_DAYS_PREDICTIONS/);
  });
});
