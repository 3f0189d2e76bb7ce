import type { ClickHouse, Logger } from '../common/index.js';
import type { DataTopic } from '../../schemas/index.js';

/** Days each event table keeps a row; 0 keeps it forever. */
export type RetentionDays = Readonly<Record<DataTopic, number>>;

export interface RetentionChange {
  table: DataTopic;
  /** What the table had before, null for none. */
  fromDays: number | null;
  /** What it has now, null for none. */
  toDays: number | null;
}

// What ClickHouse writes back for the TTL below, e.g. `TTL toDateTime(ingested_at) + toIntervalDay(_CAST(30, 'UInt32'))`.
const TTL_DAYS = /\bTTL toDateTime\(ingested_at\) \+ toIntervalDay\((?:_CAST\()?(\d+)/;
const ANY_TTL = /\bTTL\b/;

/**
 * Sets each event table's TTL to the configured days, counted from when a row
 * was stored (`ingested_at`), not from its event time: a replay of 1996 keeps
 * its rows as long as live data. Idempotent: a table already at its setting
 * is left alone; 0 removes the TTL. Run once at start by the ingest, which
 * owns these tables. ClickHouse drops expired rows at merges, and a changed TTL
 * is applied to existing parts as a background mutation.
 */
export async function applyRetention(ch: ClickHouse, days: RetentionDays, logger: Logger): Promise<RetentionChange[]> {
  const changes: RetentionChange[] = [];
  for (const table of Object.keys(days) as DataTopic[]) {
    const want = days[table];
    const current = await currentTtlDays(ch, table);
    const toDays = want > 0 ? want : null;
    if (current === toDays) continue;
    if (toDays === null) await ch.command('ALTER TABLE {db:Identifier}.{table:Identifier} REMOVE TTL', { table });
    else await ch.command('ALTER TABLE {db:Identifier}.{table:Identifier} MODIFY TTL toDateTime(ingested_at) + toIntervalDay({days:UInt32})', { table, days: toDays });
    changes.push({ table, fromDays: current, toDays });
    logger.info({ table, fromDays: current, toDays }, toDays === null ? 'retention removed: rows are kept forever' : `retention set: rows are dropped ${toDays} days after they were stored`);
  }
  return changes;
}

/** The table's TTL in days, null for none; -1 for a TTL this module did not write (it is replaced). */
async function currentTtlDays(ch: ClickHouse, table: DataTopic): Promise<number | null> {
  const [row] = await ch.query<{ engine_full: string }>('SELECT engine_full FROM system.tables WHERE database = {db:String} AND name = {table:String}', { table });
  const engine = row?.engine_full ?? '';
  const days = TTL_DAYS.exec(engine);
  if (days) return Number(days[1]);
  return ANY_TTL.test(engine) ? -1 : null;
}
