-- The embedded Confluent-compatible Schema Registry (services/schema-registry),
-- used when SCHEMA_REGISTRY_URL is empty.
--
-- Append-only: a change is a new row with a higher `revision`, and readers
-- take the newest row per key (FINAL / argMax). No mutations, so a write is
-- one small INSERT and a crash between two writes leaves the older state
-- readable. The service loads all three tables into memory at start; they
-- stay small (one row per schema, per subject version, per subject config).

-- One row per distinct schema. Ids are global and never reused: the same
-- schema (type, text up to whitespace and key order, references, metadata,
-- rule set) keeps its id under every subject and after deletions.
CREATE TABLE IF NOT EXISTS {db:Identifier}.schema_registry_schemas
(
    id           UInt32,
    guid         String,
    schema_type  LowCardinality(String),
    fingerprint  String,
    schema       String,
    references   String,
    metadata     String,
    rule_set     String,
    revision     UInt64,
    created_at   DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY id;

-- Which schema each subject version points at. `state`: active, deleted
-- (soft, still served with ?deleted=true) or purged (permanently deleted; its
-- version number may be used again).
CREATE TABLE IF NOT EXISTS {db:Identifier}.schema_registry_versions
(
    subject     String,
    version     UInt32,
    schema_id   UInt32,
    state       Enum8('active' = 1, 'deleted' = 2, 'purged' = 3),
    revision    UInt64,
    updated_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (subject, version);

-- Compatibility level per subject; subject '' is the global default. An
-- empty `compatibility` means "not configured" (deleted).
CREATE TABLE IF NOT EXISTS {db:Identifier}.schema_registry_config
(
    subject        String,
    compatibility  LowCardinality(String),
    revision       UInt64,
    updated_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY subject;
