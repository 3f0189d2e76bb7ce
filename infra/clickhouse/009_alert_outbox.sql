-- Outbound alerts, one row per alert and webhook, written before the first
-- delivery attempt; a row in alert_settled ends it (delivered, refused for
-- good, or dropped by the queue bound). A drift monitor that starts sends
-- again what a crash, a close or a receiver's outage left unsettled, with
-- the same Idempotency-Key, so a receiver drops a repeat.
-- `target` is a hash of the webhook URL: URLs may carry credentials.

CREATE TABLE IF NOT EXISTS {db:Identifier}.alert_outbox
(
    target           String,
    idempotency_key  String,
    model            LowCardinality(String),
    body             String,
    queued_at        DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (target, idempotency_key);

CREATE TABLE IF NOT EXISTS {db:Identifier}.alert_settled
(
    target           String,
    idempotency_key  String,
    outcome          LowCardinality(String),
    settled_at       DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (target, idempotency_key);
