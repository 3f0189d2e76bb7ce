import type { ClickHouse } from '../common/index.js';
import type { TabularRows } from '../trainer/builtin/index.js';
import { newestSplitRows, type SnapshotWindow } from '../trainer/index.js';

export interface Holdout {
  /** `newer`: labeled traffic after the training window; `test-split`: the newest rows of the snapshot's own test split. */
  kind: 'newer' | 'test-split';
  rows: TabularRows;
}

/**
 * Labeled events of `model` at or after `from` (ms), the earliest first, at
 * most `limit`: the traffic the candidate never trained on. The first label
 * ingested per event counts; duplicate feature events count once.
 */
export async function newerLabeledRows(ch: ClickHouse, model: string, from: number, limit: number): Promise<TabularRows> {
  const rows = await ch.query<{ numeric: Record<string, number>; categorical: Record<string, string>; label: string }>(
    `SELECT f.numeric AS numeric, f.categorical AS categorical, l.label AS label
     FROM (SELECT event_id, any(ts) AS first_ts, mapFilter((k, v) -> NOT isNaN(v), any(numeric)) AS numeric, any(categorical) AS categorical
           FROM {db:Identifier}.features
           WHERE model = {model:String} AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC')
           GROUP BY event_id) AS f
     INNER JOIN (SELECT event_id, argMin(label, ingested_at) AS label FROM {db:Identifier}.labels WHERE model = {model:String} GROUP BY event_id) AS l
       ON f.event_id = l.event_id
     ORDER BY f.first_ts, f.event_id
     LIMIT {limit:UInt64}`,
    { model, from, limit },
  );
  return rows.map((r) => ({ numeric: r.numeric as Record<string, number>, categorical: r.categorical, label: r.label }));
}

/**
 * The holdout a candidate and the champion are scored on: labeled traffic
 * newer than the training window when there is at least `minRows` of it (up
 * to `maxRows`), else the newest `testSplitRows` rows of the test split of
 * the run's own pinned window. The newest, not the whole split: a window
 * that spans a change holds mostly the old concept, and on it the champion,
 * trained on that concept, looks as good as a candidate that has seen the
 * new one (README "Backtest").
 */
export async function selectHoldout(ch: ClickHouse, input: { model: string; window: SnapshotWindow; minRows: number; maxRows: number; testSplitRows: number; splitKey?: string }): Promise<Holdout> {
  const after = input.window.kind === 'range' ? input.window.to : Number.POSITIVE_INFINITY;
  if (Number.isFinite(after)) {
    const newer = await newerLabeledRows(ch, input.model, after, input.maxRows);
    if (newer.length >= input.minRows) return { kind: 'newer', rows: newer };
  }
  const spec = { model: input.model, window: input.window, ...(input.splitKey ? { splitKey: input.splitKey } : {}) };
  return { kind: 'test-split', rows: await newestSplitRows(ch, spec, 'test', input.testSplitRows) };
}
