-- Retraining runs and their experiment tracking (services/trainer).
--
-- Append-only like the rest: a state change is a new row with a higher
-- `revision`; readers take the newest row per key (FINAL / argMax). A trainer
-- killed mid-run finds its open runs here on restart.

-- One row per run state change; the newest revision is the run's state.
CREATE TABLE IF NOT EXISTS {db:Identifier}.training_runs
(
    run_id          String,
    model           LowCardinality(String),
    revision        UInt64,
    state           LowCardinality(String),
    cause_kind      LowCardinality(String),
    cause_ref       String,
    cause_detail    String,
    requested_by    String,
    spec            String,
    data_version    Nullable(String),
    candidate_version Nullable(String),
    best_trial      Nullable(UInt32),
    metrics         Map(String, Float64),
    message         String,
    code_version    String,
    environment     Map(String, String),
    created_at      DateTime64(3, 'UTC'),
    updated_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (model, run_id);

-- One row per trial state change.
CREATE TABLE IF NOT EXISTS {db:Identifier}.training_trials
(
    run_id          String,
    trial_id        UInt32,
    revision        UInt64,
    state           LowCardinality(String),
    params          Map(String, String),
    seed            UInt64,
    device          LowCardinality(String),
    attempt         UInt32,
    value           Nullable(Float64),
    metric_series   Array(Tuple(step UInt32, name LowCardinality(String), value Float64)),
    message         String,
    started_at      DateTime64(3, 'UTC'),
    finished_at     Nullable(DateTime64(3, 'UTC'))
)
ENGINE = ReplacingMergeTree(revision)
ORDER BY (run_id, trial_id);

-- Files a trial or run produced, with their content hash.
CREATE TABLE IF NOT EXISTS {db:Identifier}.training_artifacts
(
    run_id          String,
    trial_id        Nullable(UInt32),
    name            String,
    path            String,
    bytes           UInt64,
    sha256          String,
    created_at      DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (run_id, name, path);
