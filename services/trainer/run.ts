import { createHash, randomUUID } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { topicName } from '../../schemas/index.js';
import { errorMessage, IMPORTANCE_PREFIX, TEST_ACCURACY, type ClickHouse, type Clock, type EventBus, type EventCodec, type Logger } from '../common/index.js';
import { permutationImportance, predict, readTabularCsv, rocAuc, trainBuiltin, type ModelArtifact, type TabularRows } from './builtin/index.js';
import { builtinTrial, searchOutcome, studyOf } from './builtin-search.js';
import { parseResultFile, runTrialCommand, type CollectedArtifact, type CommandResult, type Slot, type SlotPool } from './executor/index.js';
import { assertTransition, isTerminal, type RunState } from './run-state.js';
import { formatProgress, runStudy, trialSeed, type Params, type TrialHandle, type TrialRecord as SearchTrial } from './search/index.js';
import { exportSnapshot, type Snapshot, type SnapshotWindow } from './snapshot.js';
import type { TrainingSpec } from './spec.js';
import { listTrials, saveArtifact, saveRun, saveTrial, type RunRecord, type TrialRecord } from './store.js';

export interface RunDeps {
  clickhouse: ClickHouse;
  bus: EventBus;
  codec: EventCodec;
  topicPrefix: string;
  clock: Clock;
  logger: Logger;
  /** Candidate artifacts go to `<artifactsDir>/<model>/<run_id>/`. */
  artifactsDir: string;
  /** Snapshots go to `<workDir>/<run_id>/`. */
  workDir: string;
  /** Builtin trials trained at once (in this process). */
  parallelism: number;
  /** Where external trials run: one per slot, at most. */
  slots: SlotPool;
  /** Between SIGTERM and SIGKILL when an external trial is pruned, cancelled or times out. */
  killGraceMs: number;
}

/** The snapshot as the trainers take it: files for external commands, rows (read once) for builtin ones. */
interface Splits {
  files: { train: string; validation: string; test: string };
  train: TabularRows;
  validation: TabularRows;
  test: TabularRows;
}

/** The abort reason that cancels a run (rather than pausing it for a restart). */
export class RunCancelled extends Error {
  constructor(by: string) {
    super(`cancelled by ${by || 'an operator'}`);
  }
}

/**
 * Takes a run from the state it is in to done (or failed), one state at a
 * time; every state change is stored (training_runs) and published
 * (training-results) before the next activity starts, so a trainer killed at
 * any point finds the run where it was and re-enters that state: the snapshot
 * is re-exported (same window, same data version) and the search resumes with
 * the trials already recorded. `signal` stops it between steps (running
 * trials get SIGTERM) without failing the run, so a restart resumes it;
 * aborted with a RunCancelled reason, it ends the run as cancelled.
 */
export async function executeRun(deps: RunDeps, start: RunRecord, spec: TrainingSpec, signal: AbortSignal): Promise<RunRecord> {
  const log = deps.logger.child({ model: start.model, run_id: start.runId });
  let run = start;
  const event: EventExtras = { trials: 0, bestParams: {}, artifact: null };
  const advance = async (to: RunState, changes: Partial<RunRecord> = {}): Promise<void> => {
    assertTransition(run.runId, run.state, to);
    run = { ...run, ...changes, state: to, revision: nextRevision(run.revision, deps.clock), updatedAt: deps.clock.now() };
    await saveRun(deps.clickhouse, run);
    await publish(deps, run, event);
    log.info({ state: to, data_version: run.dataVersion, message: run.message || undefined }, 'run state');
  };
  // Stopped between steps: a service stop leaves the run where it is (a restart resumes it); a cancellation ends it.
  const stop = async (): Promise<RunRecord> => {
    if (signal.reason instanceof RunCancelled && !isTerminal(run.state)) await advance('cancelled', { message: signal.reason.message });
    return run;
  };
  try {
    if (run.state === 'queued') await advance('snapshot');
    const dir = join(deps.workDir, run.runId);
    const snapshot = await exportSnapshot(deps.clickhouse, { model: run.model, window: spec.window }, dir);
    if (run.dataVersion && run.dataVersion !== snapshot.dataVersion) log.warn({ was: run.dataVersion, now: snapshot.dataVersion }, 'snapshot changed on resume; the run continues on the new data');
    const data = await readSplits(snapshot, spec.trainer === 'builtin');
    if (signal.aborted) return await stop();
    if (run.state === 'snapshot') await advance('searching', { dataVersion: snapshot.dataVersion, dataWindow: JSON.stringify(pinnedWindow(snapshot)), message: `${data.train.length} train, ${data.validation.length} validation, ${data.test.length} test rows` });

    const { best, trials, firstError } = await search(deps, run, spec, data, signal, log);
    if (signal.aborted) return await stop();
    if (!best) throw new Error(`no trial of ${trials} completed${firstError ? ` (first error: ${firstError})` : ''}`);
    event.trials = trials;
    event.bestParams = Object.fromEntries(Object.entries(best.params).map(([k, v]) => [k, JSON.stringify(v)]));
    if (run.state === 'searching') await advance('training', { bestTrial: best.id, metrics: { [spec.metric]: best.value! } });

    const candidate = spec.trainer === 'builtin' ? await trainBuiltinCandidate(deps, run, spec, data, best) : await externalCandidate(deps, run, spec, data, best, signal, log);
    if (signal.aborted) return await stop();
    event.artifact = candidate.artifact;
    await advance('done', { candidateVersion: run.runId, metrics: candidate.metrics, message: `best of ${trials} trials: #${best.id} ${JSON.stringify(best.params)}` });
    return run;
  } catch (err) {
    if (signal.aborted) return await stop();
    log.error({ err: errorMessage(err), state: run.state }, 'run failed');
    await advance('failed', { message: `${run.state}: ${errorMessage(err)}`.slice(0, 2000) });
    return run;
  }
}

/**
 * The time range a snapshot's rows cover, to export the same rows again
 * (reproduce) when the run asked for the latest N, which moves.
 */
export function pinnedWindow(snapshot: Pick<Snapshot, 'from' | 'to'>): SnapshotWindow {
  return { kind: 'range', from: snapshot.from, to: snapshot.to + 1 };
}

/** Revisions only grow, across restarts too: time-based, bumped past the previous one. */
function nextRevision(previous: number, clock: Clock): number {
  return Math.max(previous + 1, clock.now() * 1000);
}

async function readSplits(snapshot: Snapshot, readRows: boolean): Promise<Splits> {
  const path = (split: string): string => snapshot.files.find((f) => f.split === split)!.path;
  const files = { train: path('train'), validation: path('validation'), test: path('test') };
  if (!readRows) return { files, train: [], validation: [], test: [] };
  const [train, validation, test] = await Promise.all([files.train, files.validation, files.test].map(async (p) => (await readTabularCsv(p)).rows));
  return { files, train: train!, validation: validation!, test: test! };
}

/** What the training-results event carries beyond the run record. */
export interface EventExtras {
  trials: number;
  bestParams: Record<string, string>;
  artifact: { path: string; sha256: string } | null;
}

export async function publish(deps: Pick<RunDeps, 'bus' | 'codec' | 'topicPrefix'>, run: RunRecord, extras: EventExtras): Promise<void> {
  const event = {
    event_id: randomUUID(),
    model: run.model,
    ts: run.updatedAt,
    run_id: run.runId,
    cause: run.cause,
    state: run.state,
    data_version: run.dataVersion,
    candidate_version: run.candidateVersion,
    trials: extras.trials,
    best_params: extras.bestParams,
    metrics: run.metrics,
    // A URL of the absolute path: `file://` + a relative path (TRAINER_ARTIFACTS_DIR's default is one) names a host, not a file.
    artifact_uri: extras.artifact ? pathToFileURL(resolve(extras.artifact.path)).href : null,
    artifact_sha256: extras.artifact?.sha256 ?? null,
    message: run.message,
  };
  const producer = await deps.bus.producer();
  await producer.send(topicName(deps.topicPrefix, 'training-results'), [{ key: run.model, value: await deps.codec.encode('training-results', event) }]);
}

const toSearchTrial = (t: TrialRecord): SearchTrial => ({
  id: t.trialId,
  state: t.state,
  params: Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, JSON.parse(v) as Params[string]])),
  intermediate: new Map(t.series.filter((p) => p.name === 'val_loss').map((p) => [p.step, p.value])),
  ...(t.value !== null ? { value: t.value } : {}),
  startedAtMs: t.startedAt,
  ...(t.finishedAt !== null ? { finishedAtMs: t.finishedAt } : {}),
});

/** Where a trial is running: recorded with the trial. */
interface Placement {
  device: string;
  attempt: number;
}

const BUILTIN: Placement = { device: 'cpu (builtin)', attempt: 1 };
const deviceOf = (slot: Slot): string => (slot.device === 'cuda' ? `${slot.id} (${slot.name})` : slot.id);
const trialDir = (deps: RunDeps, run: RunRecord, trial: number): string => join(deps.workDir, run.runId, 'trials', String(trial));

/**
 * The hyperparameter search: one training per trial (builtin in-process, or
 * the external command on an executor slot), pruned on the per-epoch metric.
 */
async function search(deps: RunDeps, run: RunRecord, spec: TrainingSpec, data: Splits, signal: AbortSignal, log: Logger): Promise<{ best: SearchTrial | undefined; trials: number; firstError?: string }> {
  const stored = await listTrials(deps.clickhouse, run.runId);
  // A trial still `running` was interrupted (the trainer was killed): the search counts it failed, and so does its record.
  for (const t of stored.filter((x) => x.state === 'running')) {
    await saveTrial(deps.clickhouse, { ...t, revision: nextRevision(t.revision, deps.clock), state: 'failed', message: 'interrupted', finishedAt: deps.clock.now() });
  }
  const previous = stored.map(toSearchTrial);
  const external = spec.trainer !== 'builtin';
  const revisions = new Map<number, number>();
  const placements = new Map<number, Placement>();
  const series = new Map<number, TrialRecord['series']>();
  const record = async (t: SearchTrial, state: TrialRecord['state'], message = ''): Promise<void> => {
    const revision = nextRevision(revisions.get(t.id) ?? 0, deps.clock);
    revisions.set(t.id, revision);
    const placement = placements.get(t.id) ?? BUILTIN;
    await saveTrial(deps.clickhouse, {
      runId: run.runId, trialId: t.id, revision, state, params: Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, JSON.stringify(v)])),
      seed: trialSeed(spec.seed, t.id), device: placement.device, attempt: placement.attempt, value: t.value ?? null, series: series.get(t.id) ?? [], message,
      startedAt: t.startedAtMs, finishedAt: t.finishedAtMs ?? null,
    });
  };
  const started = (trial: TrialHandle, placement: Placement): Promise<void> => {
    placements.set(trial.id, placement);
    series.set(trial.id, []);
    return record({ id: trial.id, state: 'running', params: trial.params, intermediate: new Map(), startedAtMs: deps.clock.now() }, 'running');
  };
  /** Records an epoch's metrics in the trial's series. */
  const recordEpoch = (trial: TrialHandle, epoch: number, metrics: Record<string, number | undefined>): void => {
    const points = series.get(trial.id)!;
    for (const [name, value] of Object.entries(metrics)) if (value !== undefined) points.push({ step: epoch, name, value });
  };
  /** Records an epoch's metrics and asks the pruner; true: stop the trial. */
  const epochDone = (trial: TrialHandle, epoch: number, metrics: Record<string, number | undefined>): boolean => {
    recordEpoch(trial, epoch, metrics);
    const value = metrics[spec.metric];
    return value !== undefined && trial.report(epoch, value);
  };

  const builtinObjective = async (trial: TrialHandle): Promise<number> => {
    await started(trial, BUILTIN);
    return builtinTrial(spec, data, trial, { signal, onEpoch: (epoch, metrics) => recordEpoch(trial, epoch, metrics) });
  };

  const externalObjective = async (trial: TrialHandle): Promise<number> => {
    const result = await runExternal(deps, run, spec, data, trial.id, { ...spec.params, ...trial.params }, signal, log, {
      onAttempt: (attempt, slot) => void started(trial, { device: deviceOf(slot), attempt }).catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'trial not recorded')),
      onEpoch: (epoch, metrics) => epochDone(trial, epoch, metrics),
    });
    if (result.status !== 'success') {
      if (result.status === 'stopped') trial.prune();
      throw new Error('cancelled: the trainer is stopping');
    }
    return finalMetric(result, spec.metric);
  };

  const result = await runStudy({
    ...studyOf(spec),
    parallelism: external ? deps.slots.size : deps.parallelism,
    signal,
    clock: deps.clock,
    previousTrials: previous,
    objective: external ? externalObjective : builtinObjective,
    onTrialDone: (t, progress) => {
      void record(t, t.state, t.error ?? '').catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'trial not recorded'));
      log.info({ trial: t.id, state: t.state, value: t.value, progress: formatProgress(progress) }, 'trial done');
    },
  });
  return searchOutcome(result);
}

/** The searched metric of a finished external trial: from metrics.json, else its last epoch line. */
function finalMetric(result: Extract<CommandResult, { status: 'success' }>, metric: string): number {
  const value = result.result.metrics[metric] ?? result.epochs.at(-1)?.metrics[metric];
  if (value === undefined) throw new Error(`the trainer reported no ${metric} (neither in metrics.json nor on an epoch line)`);
  return value;
}

/** One external trial (or the candidate's retraining) through the executor, in the trial's own directory. */
function runExternal(
  deps: RunDeps, run: RunRecord, spec: TrainingSpec, data: Splits, trial: number, params: Record<string, unknown>, signal: AbortSignal, log: Logger,
  hooks: { onAttempt?: (attempt: number, slot: Slot) => void; onEpoch?: (epoch: number, metrics: Record<string, number>) => boolean } = {},
): Promise<CommandResult> {
  return runTrialCommand(deps.slots, {
    argv: spec.command,
    spec: { run_id: run.runId, trial, model: run.model, data: { format: 'csv', ...data.files }, params, seed: trialSeed(spec.seed, trial), metric: spec.metric },
    outputDir: trialDir(deps, run, trial),
    timeoutMs: spec.trialTimeoutMs,
    killGraceMs: deps.killGraceMs,
    retries: spec.trialRetries,
    signal,
    logger: log.child({ trial }),
    ...(hooks.onAttempt ? { onAttempt: hooks.onAttempt } : {}),
    ...(hooks.onEpoch ? { onEpoch: (line) => (hooks.onEpoch!(line.epoch, line.metrics) ? 'stop' : 'continue') } : {}),
  });
}

interface Candidate {
  metrics: Record<string, number>;
  artifact: { path: string; sha256: string };
}

/** `<artifactsDir>/<model>/<run_id>/`, created. */
async function candidateDir(deps: RunDeps, run: RunRecord): Promise<string> {
  const dir = join(deps.artifactsDir, run.model, run.runId);
  await mkdir(dir, { recursive: true });
  return dir;
}

const finite = (metrics: Record<string, number>): Record<string, number> => Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v)));

/** Retrains the best trial (deterministic: the same weights it had), scores it on the test split and stores the artifact. */
async function trainBuiltinCandidate(deps: RunDeps, run: RunRecord, spec: TrainingSpec, data: Splits, best: SearchTrial): Promise<Candidate> {
  const { artifact, metrics } = await trainBuiltinModel(spec, data, best);
  const path = join(await candidateDir(deps, run), 'model.json');
  const body = `${JSON.stringify(artifact)}\n`;
  await writeFile(path, body);
  const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  await saveArtifact(deps.clickhouse, { runId: run.runId, trialId: best.id, name: 'model', path, bytes: Buffer.byteLength(body), sha256, createdAt: deps.clock.now() });
  return { metrics, artifact: { path, sha256 } };
}

/** The builtin model of a trial's params and seed, with its validation and test metrics. */
export async function trainBuiltinModel(spec: TrainingSpec, data: Pick<Splits, 'train' | 'validation' | 'test'>, best: Pick<SearchTrial, 'id' | 'params'>): Promise<{ artifact: ModelArtifact; metrics: Record<string, number> }> {
  const { artifact, history } = await trainBuiltin({
    algorithm: spec.algorithm,
    params: { ...spec.params, ...(best.params as Record<string, number | string>) },
    seed: trialSeed(spec.seed, best.id),
    train: data.train,
    validation: data.validation,
  });
  const last = history[history.length - 1]!.metrics;
  const predictions = predict(artifact, data.test);
  const testAccuracy = data.test.length ? predictions.filter((p, i) => p.label === data.test[i]!.label).length / data.test.length : Number.NaN;
  const metrics: Record<string, number> = { val_loss: last.val_loss, val_accuracy: last.val_accuracy, [TEST_ACCURACY]: testAccuracy, trained_rows: data.train.length };
  if (last.val_auc !== undefined) metrics.val_auc = last.val_auc;
  // Binary models score P(positive class).
  const positive = artifact.classes.length === 2 ? artifact.positive_class : undefined;
  if (positive !== undefined && data.test.length) metrics.test_auc = rocAuc(predictions.map((p) => p.score), data.test.map((r) => r.label === positive));
  // How much the model leans on each input, on the validation split: the drift monitor can weigh drift by it (importanceWeighted).
  for (const [feature, value] of Object.entries(permutationImportance(artifact, data.validation))) metrics[`${IMPORTANCE_PREFIX}${feature}`] = value;
  return { artifact, metrics: finite(metrics) };
}

/**
 * The best external trial is kept as the candidate: it ran to its last epoch
 * and wrote its artifacts and test metrics. Where its directory is gone (the
 * run resumed on another machine) it is retrained with the same params and
 * seed. Its artifacts are copied next to the run's and hashed again there.
 */
async function externalCandidate(deps: RunDeps, run: RunRecord, spec: TrainingSpec, data: Splits, best: SearchTrial, signal: AbortSignal, log: Logger): Promise<Candidate> {
  let outcome = await readTrialOutcome(trialDir(deps, run, best.id));
  if (!outcome) {
    log.info({ trial: best.id }, 'best trial\'s output is gone: retraining it');
    const result = await runExternal(deps, run, spec, data, best.id, { ...spec.params, ...best.params }, signal, log);
    if (result.status !== 'success') throw new Error(`retraining trial ${best.id} was ${result.status}`);
    outcome = { metrics: result.result.metrics, artifacts: result.artifacts };
  }
  const dir = await candidateDir(deps, run);
  const kept: CollectedArtifact[] = [];
  for (const a of outcome.artifacts) {
    const path = join(dir, basename(a.path));
    await copyFile(a.path, path);
    const body = await readFile(path);
    const sha256 = createHash('sha256').update(body).digest('hex');
    if (a.sha256 && sha256 !== a.sha256) throw new Error(`artifact ${a.name} changed while it was copied (${a.sha256} -> ${sha256})`);
    kept.push({ name: a.name, path, bytes: body.length, sha256 });
    await saveArtifact(deps.clickhouse, { runId: run.runId, trialId: best.id, name: a.name, path, bytes: body.length, sha256, createdAt: deps.clock.now() });
  }
  const model = kept.find((a) => a.name === 'model') ?? kept[0];
  if (!model) throw new Error(`trial ${best.id} wrote no artifact`);
  return { metrics: finite({ ...outcome.metrics }), artifact: { path: model.path, sha256: model.sha256 } };
}

/** A finished external trial's metrics and artifacts as its directory holds them, or undefined when it is gone. */
async function readTrialOutcome(dir: string): Promise<{ metrics: Record<string, number>; artifacts: CollectedArtifact[] } | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, 'metrics.json'), 'utf8');
  } catch {
    return undefined;
  }
  const result = parseResultFile(text, 'metrics.json');
  const artifacts: CollectedArtifact[] = result.artifacts.map((a) => ({ name: a.name, path: join(dir, a.path), bytes: 0, sha256: '' }));
  return { metrics: result.metrics, artifacts };
}
