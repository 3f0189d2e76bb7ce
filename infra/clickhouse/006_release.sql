-- Release (services/evaluator, services/registry, services/rollout, read by
-- services/gateway): evaluations, model versions with lineage, aliases with
-- their history, and rollouts.
--
-- Append-only like the rest: a change is a new row with a higher `revision`;
-- readers take the newest row per key (FINAL / argMax).

-- One row per evaluation of a candidate against the champion.
CREATE TABLE IF NOT EXISTS {db:Identifier}.evaluations
(
    evaluation_id     String,
    model             LowCardinality(String),
    run_id            String,
    cause_kind        LowCardinality(String),
    cause_ref         String,
    candidate_version String,
    champion_version  Nullable(String),
    decision          LowCardinality(String),   -- register | reject
    reason            String,
    holdout           String,                   -- where the holdout came from, e.g. "newer:1200 rows" or "test-split:900 rows"
    holdout_rows      UInt64,
    candidate_metrics Map(String, Float64),
    champion_metrics  Map(String, Float64),
    -- Bootstrap confidence intervals: metric -> (low, high), candidate and champion.
    candidate_ci      Map(String, Tuple(Float64, Float64)),
    champion_ci       Map(String, Tuple(Float64, Float64)),
    gates             Array(Tuple(name String, passed Bool, value Float64, threshold Float64, detail String)),
    slices            Array(Tuple(feature String, value String, rows UInt64, candidate Float64, champion Float64)),
    artifact_uri      String,
    artifact_sha256   String,
    data_version      String,
    created_at        DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY (model, evaluation_id);

-- One row per version change; the newest revision is the version's state.
-- status: pending (awaiting approval) | approved | rejected | archived.
-- artifact_format: driftloop.builtin (model.json) | onnx.
CREATE TABLE IF NOT EXISTS {db:Identifier}.model_versions
(
    model           LowCardinality(String),
    version         String,
    revision        UInt64,
    status          LowCardinality(String),
    artifact_uri    String,
    artifact_sha256 String,
    artifact_format LowCardinality(String),
    artifacts       Map(String, String),      -- name -> path of every stored artifact (model, onnx, ...)
    run_id          String,
    data_version    String,
    evaluation_id   String,
    cause_kind      LowCardinality(String),
    cause_ref       String,
    lineage         Map(String, String),      -- run_id, data_version, evaluation_id, drift_report / alert, ...
    metrics         Map(String, Float64),
    tags            Map(String, String),
    actor           String,
    reason          String,
    created_at      DateTime64(3, 'UTC'),
    updated_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (model, version);

-- Where each alias points now (champion, challenger, custom ones).
CREATE TABLE IF NOT EXISTS {db:Identifier}.model_aliases
(
    model            LowCardinality(String),
    alias            String,
    version          String,
    previous_version Nullable(String),
    revision         UInt64,
    actor            String,
    reason           String,
    moved_at         DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (model, alias);

-- Every alias move ever made, for audit and instant rollback.
CREATE TABLE IF NOT EXISTS {db:Identifier}.model_alias_history
(
    model            LowCardinality(String),
    alias            String,
    version          String,
    previous_version Nullable(String),
    actor            String,
    reason           String,
    moved_at         DateTime64(3, 'UTC')
)
ENGINE = MergeTree
ORDER BY (model, alias, moved_at);

-- One row per rollout state change; the newest revision is the rollout's state.
-- phase: shadow | canary | done. state: running | paused | awaiting_approval |
-- promoted | rolled_back. `weight` is the canary's traffic share (0..1); the
-- gateway serves champion (alias) + this version at `weight`, or mirrors to it
-- in the shadow phase.
CREATE TABLE IF NOT EXISTS {db:Identifier}.rollouts
(
    rollout_id       String,
    model            LowCardinality(String),
    version          String,
    champion_version Nullable(String),
    run_id           String,
    revision         UInt64,
    phase            LowCardinality(String),
    step             Int32,
    weight           Float64,
    state            LowCardinality(String),
    reason           String,
    steps            Array(Float64),
    failed_checks    UInt32,
    checks           Array(Tuple(name String, passed Bool, value Float64, threshold Float64, detail String)),
    step_started_at  DateTime64(3, 'UTC'),
    started_at       DateTime64(3, 'UTC'),
    updated_at       DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (model, rollout_id);
