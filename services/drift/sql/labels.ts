/**
 * A model's labels of events from `{<since>:Int64}` on, one per event: the
 * first one ingested (a relabel does not move a decided window). The drift
 * monitor's window performance, error stream and calibration all join it.
 */
export const firstLabelsSince = (since: string): string =>
  `SELECT event_id, argMin(label, ingested_at) AS label FROM {db:Identifier}.labels WHERE model = {model:String} AND ts >= fromUnixTimestamp64Milli({${since}:Int64}, 'UTC') GROUP BY event_id`;
