import { fromDateTime64Text as ms, toDateTime64Text as stamp, type ClickHouse } from '../common/index.js';
import { TERMINAL_STATES, type RunState } from './run-state.js';


/** A retraining run as tracked in `training_runs` (its newest revision). */
export interface RunRecord {
  runId: string;
  model: string;
  revision: number;
  state: RunState;
  cause: { kind: string; ref: string; detail: string };
  requestedBy: string;
  /** The training spec as JSON: window, search space, budget, trainer. */
  spec: string;
  dataVersion: string | null;
  /** JSON of the snapshot's pinned window (`{"kind":"range","from":ms,"to":ms}`), once exported; empty before. */
  dataWindow: string;
  candidateVersion: string | null;
  bestTrial: number | null;
  metrics: Record<string, number>;
  message: string;
  codeVersion: string;
  environment: Record<string, string>;
  createdAt: number;
  updatedAt: number;
}

export type TrialState = 'running' | 'complete' | 'pruned' | 'failed';

export interface TrialRecord {
  runId: string;
  trialId: number;
  revision: number;
  state: TrialState;
  params: Record<string, string>;
  seed: number;
  device: string;
  attempt: number;
  value: number | null;
  series: { step: number; name: string; value: number }[];
  message: string;
  startedAt: number;
  finishedAt: number | null;
}

export interface ArtifactRecord {
  runId: string;
  trialId: number | null;
  name: string;
  path: string;
  bytes: number;
  sha256: string;
  createdAt: number;
}

/** Appends a run revision; the caller bumps `revision` (readers keep the highest). */
export async function saveRun(ch: ClickHouse, r: RunRecord): Promise<void> {
  await ch.insertObjects('training_runs', [{
    run_id: r.runId, model: r.model, revision: r.revision, state: r.state, cause_kind: r.cause.kind, cause_ref: r.cause.ref, cause_detail: r.cause.detail,
    requested_by: r.requestedBy, spec: r.spec, data_version: r.dataVersion, data_window: r.dataWindow, candidate_version: r.candidateVersion, best_trial: r.bestTrial,
    metrics: r.metrics, message: r.message, code_version: r.codeVersion, environment: r.environment, created_at: stamp(r.createdAt), updated_at: stamp(r.updatedAt),
  }]);
}

export async function saveTrial(ch: ClickHouse, t: TrialRecord): Promise<void> {
  await ch.insertObjects('training_trials', [{
    run_id: t.runId, trial_id: t.trialId, revision: t.revision, state: t.state, params: t.params, seed: t.seed, device: t.device, attempt: t.attempt,
    value: t.value !== null && Number.isFinite(t.value) ? t.value : null, metric_series: t.series.filter((p) => Number.isFinite(p.value)),
    message: t.message, started_at: stamp(t.startedAt), finished_at: t.finishedAt === null ? null : stamp(t.finishedAt),
  }]);
}

export async function saveArtifact(ch: ClickHouse, a: ArtifactRecord): Promise<void> {
  await ch.insertObjects('training_artifacts', [{ run_id: a.runId, trial_id: a.trialId, name: a.name, path: a.path, bytes: a.bytes, sha256: a.sha256, created_at: stamp(a.createdAt) }]);
}

interface RunRow {
  run_id: string; model: string; revision: number | string; state: RunState; cause_kind: string; cause_ref: string; cause_detail: string; requested_by: string;
  spec: string; data_version: string | null; data_window: string; candidate_version: string | null; best_trial: number | null; metrics: Record<string, number>; message: string;
  code_version: string; environment: Record<string, string>; created_at: string; updated_at: string;
}

function toRun(r: RunRow): RunRecord {
  return {
    runId: r.run_id, model: r.model, revision: Number(r.revision), state: r.state, cause: { kind: r.cause_kind, ref: r.cause_ref, detail: r.cause_detail },
    requestedBy: r.requested_by, spec: r.spec, dataVersion: r.data_version, dataWindow: r.data_window, candidateVersion: r.candidate_version, bestTrial: r.best_trial === null ? null : Number(r.best_trial),
    metrics: r.metrics, message: r.message, codeVersion: r.code_version, environment: r.environment, createdAt: ms(r.created_at), updatedAt: ms(r.updated_at),
  };
}

/** Runs (newest revision each), optionally of one model, newest first. */
export async function listRuns(ch: ClickHouse, filter: { model?: string; runId?: string; openOnly?: boolean; limit?: number } = {}): Promise<RunRecord[]> {
  const rows = await ch.query<RunRow>(
    `SELECT * FROM {db:Identifier}.training_runs FINAL
     WHERE ({model:String} = '' OR model = {model:String}) AND ({run:String} = '' OR run_id = {run:String})
       AND (NOT {open:Bool} OR state NOT IN {terminal:Array(String)})
     ORDER BY created_at DESC LIMIT {limit:UInt32}`,
    { model: filter.model ?? '', run: filter.runId ?? '', open: filter.openOnly ?? false, terminal: [...TERMINAL_STATES], limit: filter.limit ?? 1000 },
  );
  return rows.map(toRun);
}

export async function getRun(ch: ClickHouse, runId: string): Promise<RunRecord | null> {
  return (await listRuns(ch, { runId, limit: 1 }))[0] ?? null;
}

interface TrialRow {
  run_id: string; trial_id: number; revision: number | string; state: TrialState; params: Record<string, string>; seed: number | string; device: string; attempt: number;
  value: number | null; metric_series: [number, string, number][] | { step: number; name: string; value: number }[]; message: string; started_at: string; finished_at: string | null;
}

export async function listTrials(ch: ClickHouse, runId: string): Promise<TrialRecord[]> {
  const rows = await ch.query<TrialRow>('SELECT * FROM {db:Identifier}.training_trials FINAL WHERE run_id = {run:String} ORDER BY trial_id', { run: runId });
  return rows.map((r) => ({
    runId: r.run_id, trialId: Number(r.trial_id), revision: Number(r.revision), state: r.state, params: r.params, seed: Number(r.seed), device: r.device, attempt: Number(r.attempt),
    value: r.value === null ? null : Number(r.value),
    series: r.metric_series.map((p) => (Array.isArray(p) ? { step: Number(p[0]), name: p[1], value: Number(p[2]) } : { step: Number(p.step), name: p.name, value: Number(p.value) })),
    message: r.message, startedAt: ms(r.started_at), finishedAt: r.finished_at === null ? null : ms(r.finished_at),
  }));
}

export async function listArtifacts(ch: ClickHouse, runId: string): Promise<ArtifactRecord[]> {
  const rows = await ch.query<{ run_id: string; trial_id: number | null; name: string; path: string; bytes: number | string; sha256: string; created_at: string }>(
    'SELECT * FROM {db:Identifier}.training_artifacts FINAL WHERE run_id = {run:String} ORDER BY name, path',
    { run: runId },
  );
  return rows.map((r) => ({ runId: r.run_id, trialId: r.trial_id === null ? null : Number(r.trial_id), name: r.name, path: r.path, bytes: Number(r.bytes), sha256: r.sha256, createdAt: ms(r.created_at) }));
}
