-- The drift monitor (services/drift): reference profiles, one report per
-- window, the statistics behind each report, and the retrain requests it made.
--
-- Everything is append-only and keyed by deterministic ids, so a replayed
-- window or a retried insert collapses into the row already there
-- (ReplacingMergeTree, read with FINAL or argMax).

-- One row per (profile, feature): what the reference looked like. A profile
-- is every row sharing `profile_id`; a model's active profile is its newest.
--   kind numeric|score: `grid` holds the reference quantiles at levels i/K
--     (distinct, g_0 = min, g_last = max); `fine_counts` the reference rows in
--     each fine bucket [under, g_0.., over]; `deciles` the coarse bin edges.
--   kind categorical|class: `categories` and their `category_counts`.
--   `adaptive`: per test, mean + 3 sigma of the statistic over reference chunks.
CREATE TABLE IF NOT EXISTS {db:Identifier}.drift_profiles
(
    model          LowCardinality(String),
    model_version  String,
    profile_id     String,
    built_at       DateTime64(3, 'UTC'),
    source         String,
    monitor_from   DateTime64(3, 'UTC'),
    kind           LowCardinality(String),
    feature        String,
    rows           UInt64,
    present        UInt64,
    mean           Float64,
    std            Float64,
    min            Float64,
    max            Float64,
    null_rate      Float64,
    grid           Array(Float64),
    fine_counts    Array(UInt64),
    deciles        Array(Float64),
    categories     Array(String),
    category_counts Array(UInt64),
    adaptive       Map(String, Float64),
    extra          String
)
ENGINE = ReplacingMergeTree(built_at)
ORDER BY (model, profile_id, kind, feature);

-- One row per closed window: the report as published on drift-reports.
CREATE TABLE IF NOT EXISTS {db:Identifier}.drift_reports
(
    event_id       String,
    model          LowCardinality(String),
    model_version  String,
    profile_id     String,
    ts             DateTime64(3, 'UTC'),
    window_start   DateTime64(3, 'UTC'),
    window_end     DateTime64(3, 'UTC'),
    window_rows    UInt64,
    dataset_drift  Bool,
    drift_share    Float64,
    decision       LowCardinality(String),
    streak         UInt32,
    run_id         Nullable(String),
    reasons        Array(String),
    report         String
)
ENGINE = ReplacingMergeTree
ORDER BY (model, window_start, event_id);

-- Each statistic of each report, long form, for dashboards and adaptive thresholds.
CREATE TABLE IF NOT EXISTS {db:Identifier}.drift_statistics
(
    report_id      String,
    model          LowCardinality(String),
    window_start   DateTime64(3, 'UTC'),
    window_end     DateTime64(3, 'UTC'),
    feature        String,
    kind           LowCardinality(String),
    variant        LowCardinality(String),
    test           LowCardinality(String),
    value          Float64,
    threshold      Float64,
    p_value        Nullable(Float64),
    drifted        Bool,
    decisive       Bool
)
ENGINE = ReplacingMergeTree
ORDER BY (model, feature, test, variant, window_start, report_id);

-- Every retrain request the monitor or a hook made. A run is open until the
-- trainer reports a terminal state for it on training-results (recorded in
-- retrain_run_states), or until DRIFT_OPEN_RUN_TIMEOUT_MS passes.
CREATE TABLE IF NOT EXISTS {db:Identifier}.retrain_requests
(
    run_id         String,
    model          LowCardinality(String),
    ts             DateTime64(3, 'UTC'),
    cause_kind     LowCardinality(String),
    cause_ref      String,
    cause_detail   String,
    requested_by   String,
    params         Map(String, String)
)
ENGINE = ReplacingMergeTree
ORDER BY (model, run_id);

CREATE TABLE IF NOT EXISTS {db:Identifier}.retrain_run_states
(
    run_id         String,
    model          LowCardinality(String),
    ts             DateTime64(3, 'UTC'),
    state          LowCardinality(String)
)
ENGINE = ReplacingMergeTree
ORDER BY (model, run_id, state);
