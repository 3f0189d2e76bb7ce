import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { topicName } from '../../schemas/index.js';
import { errorMessage, type ClickHouse, type Clock, type EventBus, type EventCodec, type Logger } from '../common/index.js';
import { predict, readTabularCsv, rocAuc, trainBuiltin, type TabularRows } from './builtin/index.js';
import { assertTransition, type RunState } from './run-state.js';
import { createPruner, createSampler, formatProgress, runStudy, trialSeed, type Params, type TrialRecord as SearchTrial } from './search/index.js';
import { exportSnapshot } from './snapshot.js';
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
  /** Trials trained at once. */
  parallelism: number;
}

interface Splits {
  train: TabularRows;
  validation: TabularRows;
  test: TabularRows;
}

/**
 * Takes a run from the state it is in to done (or failed), one state at a
 * time; every state change is stored (training_runs) and published
 * (training-results) before the next activity starts, so a trainer killed at
 * any point finds the run where it was and re-enters that state: the snapshot
 * is re-exported (same window, same data version) and the search resumes with
 * the trials already recorded. `signal` stops it between steps without
 * failing the run (a restart resumes it).
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
  try {
    if (run.state === 'queued') await advance('snapshot');
    const dir = join(deps.workDir, run.runId);
    const snapshot = await exportSnapshot(deps.clickhouse, { model: run.model, window: spec.window }, dir);
    if (run.dataVersion && run.dataVersion !== snapshot.dataVersion) log.warn({ was: run.dataVersion, now: snapshot.dataVersion }, 'snapshot changed on resume; the run continues on the new data');
    const data = await readSplits(snapshot.files.map((f) => f.path));
    if (signal.aborted) return run;
    if (run.state === 'snapshot') await advance('searching', { dataVersion: snapshot.dataVersion, message: `${data.train.length} train, ${data.validation.length} validation, ${data.test.length} test rows` });

    const { best, trials, firstError } = await search(deps, run, spec, data, signal, log);
    if (signal.aborted) return run;
    if (!best) throw new Error(`no trial of ${trials} completed${firstError ? ` (first error: ${firstError})` : ''}`);
    event.trials = trials;
    event.bestParams = Object.fromEntries(Object.entries(best.params).map(([k, v]) => [k, JSON.stringify(v)]));
    if (run.state === 'searching') await advance('training', { bestTrial: best.id, metrics: { [spec.metric]: best.value! } });

    const candidate = await train(deps, run, spec, data, best);
    event.artifact = candidate.artifact;
    await advance('done', { candidateVersion: run.runId, metrics: candidate.metrics, message: `best of ${trials} trials: #${best.id} ${JSON.stringify(best.params)}` });
    return run;
  } catch (err) {
    if (signal.aborted) return run;
    log.error({ err: errorMessage(err), state: run.state }, 'run failed');
    await advance('failed', { message: `${run.state}: ${errorMessage(err)}`.slice(0, 2000) });
    return run;
  }
}

/** Revisions only grow, across restarts too: time-based, bumped past the previous one. */
function nextRevision(previous: number, clock: Clock): number {
  return Math.max(previous + 1, clock.now() * 1000);
}

async function readSplits(paths: string[]): Promise<Splits> {
  const [train, validation, test] = await Promise.all(paths.map(async (p) => (await readTabularCsv(p)).rows));
  return { train: train!, validation: validation!, test: test! };
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
    artifact_uri: extras.artifact ? `file://${extras.artifact.path}` : null,
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

/** The hyperparameter search: one builtin training per trial, pruned on the per-epoch validation loss. */
async function search(deps: RunDeps, run: RunRecord, spec: TrainingSpec, data: Splits, signal: AbortSignal, log: Logger): Promise<{ best: SearchTrial | undefined; trials: number; firstError?: string }> {
  const previous = (await listTrials(deps.clickhouse, run.runId)).map(toSearchTrial);
  const revisions = new Map<number, number>();
  const record = async (t: SearchTrial, state: TrialRecord['state'], series: TrialRecord['series'], message = ''): Promise<void> => {
    const revision = nextRevision(revisions.get(t.id) ?? 0, deps.clock);
    revisions.set(t.id, revision);
    await saveTrial(deps.clickhouse, {
      runId: run.runId, trialId: t.id, revision, state, params: Object.fromEntries(Object.entries(t.params).map(([k, v]) => [k, JSON.stringify(v)])),
      seed: trialSeed(spec.seed, t.id), device: 'cpu', attempt: 1, value: t.value ?? null, series, message,
      startedAt: t.startedAtMs, finishedAt: t.finishedAtMs ?? null,
    });
  };
  const series = new Map<number, TrialRecord['series']>();
  const result = await runStudy({
    space: spec.space,
    sampler: createSampler(spec.sampler),
    pruner: createPruner(spec.pruner),
    direction: 'minimize',
    maxTrials: spec.maxTrials,
    maxTimeMs: spec.maxTimeMs,
    parallelism: deps.parallelism,
    seed: spec.seed,
    signal,
    clock: deps.clock,
    previousTrials: previous,
    objective: async (trial) => {
      const points: TrialRecord['series'] = [];
      series.set(trial.id, points);
      await record({ id: trial.id, state: 'running', params: trial.params, intermediate: new Map(), startedAtMs: deps.clock.now() }, 'running', []);
      let pruned = false;
      const { history } = await trainBuiltin({
        algorithm: spec.algorithm,
        params: { ...spec.params, ...(trial.params as Record<string, number | string>) },
        seed: trialSeed(spec.seed, trial.id),
        train: data.train,
        validation: data.validation,
        signal,
        onEpoch: ({ epoch, metrics }) => {
          for (const [name, value] of Object.entries(metrics)) if (value !== undefined) points.push({ step: epoch, name, value });
          pruned = trial.report(epoch, metrics[spec.metric]);
          return pruned ? 'stop' : 'continue';
        },
      });
      if (pruned) trial.prune();
      return history[history.length - 1]!.metrics[spec.metric];
    },
    onTrialDone: (t, progress) => {
      void record(t, t.state, series.get(t.id) ?? [], t.error ?? '').catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'trial not recorded'));
      log.info({ trial: t.id, state: t.state, value: t.value, progress: formatProgress(progress) }, 'trial done');
    },
  });
  return { best: result.best, trials: result.trials.length, firstError: result.trials.find((t) => t.error)?.error };
}

/** Retrains the best trial (deterministic: the same weights it had), scores it on the test split and stores the artifact. */
async function train(deps: RunDeps, run: RunRecord, spec: TrainingSpec, data: Splits, best: SearchTrial): Promise<{ metrics: Record<string, number>; artifact: { path: string; sha256: string } }> {
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
  const metrics: Record<string, number> = { val_loss: last.val_loss, val_accuracy: last.val_accuracy, test_accuracy: testAccuracy, trained_rows: data.train.length };
  if (last.val_auc !== undefined) metrics.val_auc = last.val_auc;
  // Binary models score P(positive class).
  const positive = artifact.classes.length === 2 ? artifact.positive_class : undefined;
  if (positive !== undefined && data.test.length) metrics.test_auc = rocAuc(predictions.map((p) => p.score), data.test.map((r) => r.label === positive));
  const dir = join(deps.artifactsDir, run.model, run.runId);
  await mkdir(dir, { recursive: true });
  const path = join(dir, 'model.json');
  const body = `${JSON.stringify(artifact)}\n`;
  await writeFile(path, body);
  const sha256 = createHash('sha256').update(await readFile(path)).digest('hex');
  await saveArtifact(deps.clickhouse, { runId: run.runId, trialId: best.id, name: 'model', path, bytes: Buffer.byteLength(body), sha256, createdAt: deps.clock.now() });
  return { metrics: Object.fromEntries(Object.entries(metrics).filter(([, v]) => Number.isFinite(v))), artifact: { path, sha256 } };
}
