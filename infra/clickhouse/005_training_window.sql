-- The time range a run's snapshot covered, pinned when it was exported (JSON
-- {"kind":"range","from":ms,"to":ms}), so `driftloop reproduce` re-exports the
-- same rows even when the run asked for "the latest N".
ALTER TABLE {db:Identifier}.training_runs ADD COLUMN IF NOT EXISTS data_window String DEFAULT '' AFTER data_version;
