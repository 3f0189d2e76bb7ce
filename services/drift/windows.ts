import { fromDateTime64Text, type ClickHouse } from '../common/index.js';
import type { DriftPolicy } from './policy.js';
import type { ReferenceProfile } from './profile.js';

/**
 * The tumbling window that starts at `start` (moved forward past empty
 * stretches, on the `windowMs` grid), once it has closed in event time: events
 * at least `latenessMs` (plus the label delay, for models with performance)
 * newer than its end have been ingested. Count windows end before the
 * (N+1)-th event; events tied with it wait for the next window. Null while open.
 */
export async function nextClosedWindow(
  clickhouse: ClickHouse,
  profile: ReferenceProfile,
  start: number,
  policy: DriftPolicy,
  latenessMs: number,
): Promise<{ start: number; end: number } | null> {
  const { model } = profile;
  const margin = latenessMs + (profile.positiveLabel !== null ? policy.labelDelayMs : 0);
  const params = { model, start, rows: policy.windowRows };
  const after = `model = {model:String} AND ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC')`;
  const [edge] = await clickhouse.query<{ watermark: string; first: string }>(
    `SELECT toString(max(ts)) AS watermark, toString(min(ts)) AS first FROM {db:Identifier}.features WHERE ${after} HAVING count() > 0`,
    params,
  );
  if (!edge) return null;
  const watermark = fromDateTime64Text(edge.watermark);
  if (policy.windowRows > 0) {
    const [nth] = await clickhouse.query<{ at: string }>(`SELECT toString(ts) AS at FROM {db:Identifier}.features WHERE ${after} ORDER BY ts LIMIT 1 OFFSET {rows:UInt64}`, params);
    if (!nth) return null;
    const end = Math.max(fromDateTime64Text(nth.at), start + 1);
    return watermark >= end + margin ? { start, end } : null;
  }
  const first = fromDateTime64Text(edge.first);
  const aligned = start + Math.floor((first - start) / policy.windowMs) * policy.windowMs;
  const end = aligned + policy.windowMs;
  return watermark >= end + margin ? { start: aligned, end } : null;
}
