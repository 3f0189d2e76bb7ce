-- The event each rollout revision publishes on rollout-events (empty: none)
-- is stored with the revision, and every published revision gets a row in
-- rollout_published after the send. A controller that starts finds the
-- revisions a crash left between the two and publishes them then, with the
-- same event id (rollout id # revision), so a receiver drops a repeat.
ALTER TABLE {db:Identifier}.rollouts ADD COLUMN IF NOT EXISTS event_phase LowCardinality(String) DEFAULT '' AFTER updated_at;
ALTER TABLE {db:Identifier}.rollouts ADD COLUMN IF NOT EXISTS event_state LowCardinality(String) DEFAULT '' AFTER event_phase;

CREATE TABLE IF NOT EXISTS {db:Identifier}.rollout_published
(
    rollout_id   String,
    revision     UInt64,
    published_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (rollout_id, revision);
