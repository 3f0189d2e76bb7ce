import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { ConflictError, NotFoundError, type Logger } from '../common/index.js';
import { readTabularCsv } from './builtin/index.js';
import { runTrialCommand } from './executor/index.js';
import type { RunDeps } from './run.js';
import { trainBuiltinModel } from './run.js';
import { trialSeed, type Params } from './search/index.js';
import { exportSnapshot, type SnapshotWindow } from './snapshot.js';
import type { TrainingSpec } from './spec.js';
import { getRun, listArtifacts, listTrials } from './store.js';

export interface ReproducedMetric {
  name: string;
  recorded: number;
  reproduced: number | null;
  identical: boolean;
}

export interface ReproduceReport {
  run_id: string;
  trainer: string;
  trial: number;
  seed: number;
  params: Record<string, unknown>;
  data_version: string;
  metrics: ReproducedMetric[];
  /** The model artifact's sha256, recorded and reproduced (builtin trainers write the same bytes). */
  artifact: { recorded: string | null; reproduced: string | null; identical: boolean };
  /** Every metric identical (and, for builtin trainers, the artifact too). */
  identical: boolean;
  duration_ms: number;
}

/**
 * Re-executes a finished run from its record: the snapshot is exported again
 * over the pinned window and must have the recorded data version (else the
 * data changed and nothing is trained: ConflictError), then the candidate is
 * trained again with the best trial's params and seed, and each recorded
 * metric is compared with the new one. Builtin trainers are deterministic:
 * their metrics and artifact bytes come out identical. External ones are as
 * deterministic as their command (the PyTorch trainer is on CPU).
 */
export async function reproduceRun(deps: RunDeps, runId: string, log: Logger, signal?: AbortSignal): Promise<ReproduceReport> {
  const started = Date.now();
  const run = await getRun(deps.clickhouse, runId);
  if (!run) throw new NotFoundError(`run ${runId}`);
  if (run.state !== 'done' || run.bestTrial === null || !run.dataWindow || !run.dataVersion) throw new ConflictError(`run ${runId} is ${run.state}: only a done run can be reproduced`);
  const spec = JSON.parse(run.spec) as TrainingSpec;
  const best = (await listTrials(deps.clickhouse, runId)).find((t) => t.trialId === run.bestTrial);
  if (!best) throw new ConflictError(`run ${runId} names trial ${run.bestTrial} as its best, which is not recorded`);
  const params = Object.fromEntries(Object.entries(best.params).map(([k, v]) => [k, JSON.parse(v) as Params[string]]));

  const dir = join(deps.workDir, runId, `reproduce-${started}`);
  const snapshot = await exportSnapshot(deps.clickhouse, { model: run.model, window: JSON.parse(run.dataWindow) as SnapshotWindow }, dir);
  if (snapshot.dataVersion !== run.dataVersion) {
    throw new ConflictError(`the data of run ${runId} changed since it ran (recorded ${run.dataVersion}, now ${snapshot.dataVersion}): labels arrived late or rows were deleted in its window`);
  }
  const files = Object.fromEntries(snapshot.files.map((f) => [f.split, f.path])) as Record<'train' | 'validation' | 'test', string>;

  let metrics: Record<string, number>;
  let artifactSha: string | null = null;
  if (spec.trainer === 'builtin') {
    const [train, validation, test] = await Promise.all([files.train, files.validation, files.test].map(async (p) => (await readTabularCsv(p)).rows));
    const model = await trainBuiltinModel(spec, { train: train!, validation: validation!, test: test! }, { id: best.trialId, params });
    metrics = model.metrics;
    artifactSha = createHash('sha256').update(`${JSON.stringify(model.artifact)}\n`).digest('hex');
  } else {
    const result = await runTrialCommand(deps.slots, {
      argv: spec.command,
      spec: { run_id: runId, trial: best.trialId, model: run.model, data: { format: 'csv', ...files }, params: { ...spec.params, ...params }, seed: trialSeed(spec.seed, best.trialId), metric: spec.metric },
      outputDir: join(dir, 'trial'),
      timeoutMs: spec.trialTimeoutMs,
      killGraceMs: deps.killGraceMs,
      retries: spec.trialRetries,
      logger: log,
      ...(signal ? { signal } : {}),
    });
    if (result.status !== 'success') throw new ConflictError(`reproducing run ${runId} was ${result.status}`);
    metrics = result.result.metrics;
    artifactSha = result.artifacts.find((a) => a.name === 'model')?.sha256 ?? null;
  }

  const recordedArtifact = (await listArtifacts(deps.clickhouse, runId)).find((a) => a.name === 'model')?.sha256 ?? null;
  const compared = Object.entries(run.metrics).sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, recorded]): ReproducedMetric => {
    const reproduced = metrics[name] ?? null;
    return { name, recorded, reproduced, identical: reproduced === recorded };
  });
  const artifact = { recorded: recordedArtifact, reproduced: artifactSha, identical: recordedArtifact !== null && recordedArtifact === artifactSha };
  return {
    run_id: runId, trainer: spec.trainer, trial: best.trialId, seed: trialSeed(spec.seed, best.trialId), params, data_version: snapshot.dataVersion,
    metrics: compared, artifact, identical: compared.every((m) => m.identical) && (spec.trainer !== 'builtin' || artifact.identical), duration_ms: Date.now() - started,
  };
}
