-- Retrain requests are stamped with the event time of their cause (`ts`: the
-- window's close, the schedule's slot), so the cooldown and schedules decide
-- in the events' own time and a replay of history decides as living through
-- it did. When a request was written (processing time) is kept beside it for
-- the one processing-time safeguard: an open run that never ends stops
-- blocking new ones after DRIFT_OPEN_RUN_TIMEOUT_MS. Rows written before this
-- migration had both in one: `ts` was processing time then.
ALTER TABLE {db:Identifier}.retrain_requests ADD COLUMN IF NOT EXISTS recorded_at DateTime64(3, 'UTC') DEFAULT ts;
