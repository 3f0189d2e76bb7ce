import { fromDateTime64Text, type ClickHouse } from '../common/index.js';
import type { DriftPolicy } from './policy.js';
import type { ReferenceProfile } from './profile.js';

/** A closed window; `empty` when no event fell in it (it only moves the monitor to its end). */
export interface ClosedWindow {
  start: number;
  end: number;
  empty?: boolean;
}

/** How much newer than a window's end the newest event must be before it closes: the lateness, plus the label delay for models with performance. */
export function closeMargin(profile: Pick<ReferenceProfile, 'positiveLabel'>, policy: Pick<DriftPolicy, 'labelDelayMs'>, latenessMs: number): number {
  return latenessMs + (profile.positiveLabel !== null ? policy.labelDelayMs : 0);
}

/**
 * The tumbling window that starts at `start` (moved forward past empty
 * stretches, on the `windowMs` grid), once it has closed in event time: events
 * at least `latenessMs` (plus the label delay, for models with performance)
 * newer than its end have been ingested. Count windows end before the
 * (N+1)-th event; events tied with it wait for the next window. With `until`
 * (where the next reference profile takes over) no window ends after it: the
 * last one before it is cut short there. Null while open.
 */
export async function nextClosedWindow(
  clickhouse: ClickHouse,
  profile: ReferenceProfile,
  start: number,
  policy: DriftPolicy,
  latenessMs: number,
  until: number | null = null,
): Promise<ClosedWindow | null> {
  const { model } = profile;
  if (until !== null && start >= until) return null;
  const margin = closeMargin(profile, policy, latenessMs);
  const params = { model, start, rows: policy.windowRows };
  const after = `model = {model:String} AND ts >= fromUnixTimestamp64Milli({start:Int64}, 'UTC')`;
  const [edge] = await clickhouse.query<{ watermark: string; first: string }>(
    `SELECT toString(max(ts)) AS watermark, toString(min(ts)) AS first FROM {db:Identifier}.features WHERE ${after} HAVING count() > 0`,
    params,
  );
  if (!edge) return null;
  const watermark = fromDateTime64Text(edge.watermark);
  const first = fromDateTime64Text(edge.first);
  if (until !== null && first >= until) return watermark >= until + margin ? { start, end: until, empty: true } : null;
  if (policy.windowRows > 0) {
    const [nth] = await clickhouse.query<{ at: string }>(`SELECT toString(ts) AS at FROM {db:Identifier}.features WHERE ${after} ORDER BY ts LIMIT 1 OFFSET {rows:UInt64}`, params);
    const end = Math.min(nth ? Math.max(fromDateTime64Text(nth.at), start + 1) : Infinity, until ?? Infinity);
    return Number.isFinite(end) && watermark >= end + margin ? { start, end } : null;
  }
  const aligned = start + Math.floor((first - start) / policy.windowMs) * policy.windowMs;
  const end = Math.min(aligned + policy.windowMs, until ?? Infinity);
  return watermark >= end + margin ? { start: aligned, end } : null;
}
