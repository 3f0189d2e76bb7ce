import type { ClickHouse } from '../common/index.js';
import type { ReferenceProfile } from './profile.js';
import { windowQuery, type WindowBounds, type WindowRow } from './sql/window-query.js';

/** Runs the one window query and returns its rows, statistics as numbers (NaN where undefined). */
export async function computeWindow(clickhouse: ClickHouse, profile: ReferenceProfile, bounds: WindowBounds, options: { epsilon: number }): Promise<WindowRow[]> {
  const { sql, params } = windowQuery(profile, bounds, options);
  const rows = await clickhouse.query<{ section: WindowRow['section']; key: string; variant: string; present: number; stats: Record<string, number | string | null> }>(
    // JSON has no NaN or infinities; ClickHouse writes them as null unless told otherwise.
    `${sql}\nSETTINGS output_format_json_quote_denormals = 1`,
    params,
  );
  return rows.map((r) => ({
    section: r.section,
    key: r.key,
    variant: r.variant,
    present: Number(r.present),
    stats: Object.fromEntries(Object.entries(r.stats).map(([k, v]) => [k, v === null ? Number.NaN : Number(v)])),
  }));
}
