-- A rollout step's traffic is what the gateway served while the step's
-- weights were in force: predictions (and their labels) by the time they were
-- ingested, not by their event time, which a trusted caller may set to any
-- time of a replayed history. Rows arrive in ingest order, so a min-max
-- index on ingested_at lets the step's analysis skip all older parts.

ALTER TABLE {db:Identifier}.predictions ADD INDEX IF NOT EXISTS ingested_at_minmax ingested_at TYPE minmax GRANULARITY 1;

ALTER TABLE {db:Identifier}.labels ADD INDEX IF NOT EXISTS ingested_at_minmax ingested_at TYPE minmax GRANULARITY 1;
