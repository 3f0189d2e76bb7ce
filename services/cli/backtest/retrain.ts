import { join } from 'node:path';
import { importanceOf, testAccuracyOf, type ClickHouse } from '../../common/index.js';
import { evaluateCandidate, selectHoldout, type EvaluationOutcome, type EvaluationPolicy } from '../../evaluator/index.js';
import { readTabularCsv, type ModelArtifact } from '../../trainer/builtin/index.js';
import { exportSnapshot, searchBuiltin, trainBuiltinModel, type BuiltinSplits, type SnapshotWindow, type TrainingSpec } from '../../trainer/index.js';

export interface TrainedCandidate {
  artifact: ModelArtifact;
  data: BuiltinSplits;
  /** The window its snapshot was exported from, as the run records it. */
  window: SnapshotWindow;
  dataVersion: string;
  /** The labeled rows it trained on (the train split). */
  trainedRows: number;
  /** Event time its snapshot covers (where a new champion's reference comes from). */
  from: number;
  to: number;
  /** CPU the search and the final training took (the snapshot export is ClickHouse's). */
  cpuSeconds: number;
  /** Its permutation importance per input, as the trainer records it (`importance.*` metrics). */
  importance: Record<string, number> | null;
  /** Its accuracy on the snapshot's test split, as the trainer records it (`test_accuracy`). */
  testAccuracy: number | null;
}

const cpuSeconds = (since: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1e6;
};

/**
 * A retrain as the trainer runs one for the builtin trainer: the snapshot of
 * the window's labeled events exported from ClickHouse (the same split and
 * data version; only labels known by then are stored; every arm splits the
 * history's rows alike, so no arm is luckier in its split), the spec's search,
 * then the best trial trained again with its seed. Nothing is recorded or
 * published.
 */
export async function trainCandidate(
  ch: ClickHouse,
  workDir: string,
  target: { model: string; splitKey: string },
  spec: TrainingSpec,
  window: SnapshotWindow,
  tag: string,
): Promise<TrainedCandidate> {
  const { model, splitKey } = target;
  const snapshot = await exportSnapshot(ch, { model, window, splitKey }, join(workDir, model, tag));
  const path = (split: string): string => snapshot.files.find((f) => f.split === split)!.path;
  const [train, validation, test] = await Promise.all(['train', 'validation', 'test'].map(async (s) => (await readTabularCsv(path(s))).rows));
  const data = { train: train!, validation: validation!, test: test! };
  if (data.validation.length === 0) throw new Error(`snapshot of ${snapshot.files.reduce((n, f) => n + f.rows, 0)} rows has no validation rows`);
  const started = process.cpuUsage();
  const { best, trials, firstError } = await searchBuiltin(spec, data);
  if (!best) throw new Error(`no trial of ${trials} completed${firstError ? ` (first error: ${firstError})` : ''}`);
  const { artifact, metrics } = await trainBuiltinModel(spec, data, best);
  return { artifact, data, window, dataVersion: snapshot.dataVersion, trainedRows: data.train.length, from: snapshot.from, to: snapshot.to + 1, cpuSeconds: cpuSeconds(started), importance: importanceOf(metrics), testAccuracy: testAccuracyOf(metrics) };
}

/** Where the evaluator's holdout comes from (EVAL_TEST_SPLIT_ROWS, EVAL_MIN_HOLDOUT_ROWS, EVAL_MAX_HOLDOUT_ROWS). */
export interface HoldoutSettings {
  testSplitRows: number;
  maxRows: number;
}

/**
 * The evaluator's judgement: candidate and champion on the same holdout with
 * the gates, the holdout chosen by the evaluator's own code. At the moment of
 * a retrain no labeled traffic newer than the training window exists yet, so
 * it is the newest rows of the snapshot's test split.
 */
export async function evaluate(
  ch: ClickHouse,
  target: { model: string; splitKey: string },
  candidate: TrainedCandidate,
  champion: ModelArtifact,
  settings: { policy: EvaluationPolicy; holdout: HoldoutSettings },
  seed: number,
): Promise<EvaluationOutcome> {
  const holdout = await selectHoldout(ch, {
    model: target.model, splitKey: target.splitKey, window: candidate.window,
    minRows: settings.policy.minHoldoutRows, maxRows: settings.holdout.maxRows, testSplitRows: settings.holdout.testSplitRows,
  });
  return evaluateCandidate({ candidate: candidate.artifact, champion, rows: holdout.rows, policy: settings.policy, seed });
}
