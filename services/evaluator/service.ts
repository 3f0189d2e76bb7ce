import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { CHAMPION_ALIAS, topicName } from '../../schemas/index.js';
import { ConflictError, ValidationError, consumeEvents, counter, systemClock, type Consumer, type ServiceDeps } from '../common/index.js';
import { getAlias, getVersion } from '../registry/index.js';
import { validateArtifact, type ModelArtifact } from '../trainer/builtin/index.js';
import { getRun, type SnapshotWindow } from '../trainer/index.js';
import { evaluateCandidate, type EvaluationOutcome, type EvaluationPolicy } from './evaluate.js';
import type { Gate } from './gates.js';
import { selectHoldout } from './holdout.js';
import { getEvaluation, saveEvaluation, storedGate, type EvaluationRecord } from './store.js';

export interface EvaluatorSettings {
  topicPrefix: string;
  groupId: string;
  /** Rows of the run's test split, the newest, that are the holdout without enough newer traffic. */
  testSplitRows: number;
  minHoldoutRows: number;
  maxHoldoutRows: number;
  policy: EvaluationPolicy;
}

export type EvaluatorDeps = ServiceDeps<EvaluatorSettings>;

export interface EvaluatorService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Evaluates one finished run (what the consumer does per `done` training result); a replay returns the stored evaluation. */
  evaluate(result: TrainingResult): Promise<EvaluationRecord>;
}

/** The fields of a `training-results` event the evaluator reads. */
export interface TrainingResult {
  model: string;
  run_id: string;
  state: string;
  cause: { kind: string; ref: string; detail?: string };
  data_version: string | null;
  artifact_uri: string | null;
  artifact_sha256: string | null;
}

/**
 * Pure: a candidate trained on the champion's very data (its data version)
 * with the champion's training spec is a repeat of it: rolling it out could
 * only change the champion by chance. The gate `new_data_or_spec` fails it,
 * whatever its scores said.
 */
export function refuseRepeat(
  outcome: EvaluationOutcome,
  candidate: { dataVersion: string | null; spec: string },
  champion: { version: string; dataVersion: string; spec: string | null },
): EvaluationOutcome {
  const repeat = candidate.dataVersion !== null && candidate.dataVersion !== '' && candidate.dataVersion === champion.dataVersion && candidate.spec === champion.spec;
  const detail = repeat
    ? `trained on the champion v${champion.version}'s data (${champion.dataVersion}) with its training spec: nothing new to roll out`
    : 'new data or a new training spec';
  const gate: Gate = { name: 'new_data_or_spec', passed: !repeat, value: repeat ? 0 : 1, threshold: 1, detail };
  if (!repeat) return { ...outcome, gates: [...outcome.gates, gate] };
  const reason = outcome.decision === 'reject' ? `${outcome.reason}; ${gate.name}: ${detail}` : `rejected: ${gate.name}: ${detail}`;
  return { ...outcome, decision: 'reject', reason, gates: [...outcome.gates, gate] };
}

const path = (uri: string): string => (uri.startsWith('file://') ? fileURLToPath(uri) : uri);

async function readArtifact(uri: string, sha256?: string): Promise<ModelArtifact> {
  const body = await readFile(path(uri));
  if (sha256) {
    const digest = createHash('sha256').update(body).digest('hex');
    if (digest !== sha256) throw new ConflictError(`artifact ${uri} does not match its recorded sha256 (${sha256}, found ${digest})`);
  }
  return validateArtifact(JSON.parse(body.toString('utf8')));
}

/** A seed from the run id: the bootstrap of an evaluation replays identically. */
const seedOf = (runId: string): number => createHash('sha256').update(runId).digest().readUInt32BE(0);

/**
 * The evaluator: for every run that finished (`training-results` with state
 * done) it scores the candidate and the current champion on the same holdout,
 * runs the gates, stores the evaluation and publishes it on `evaluations`
 * (register or reject, with the reason). Evaluations are keyed by run, so a
 * replayed result is not evaluated twice, only published again: a crash
 * between storing and publishing never loses the decision.
 */
export function createEvaluatorService(deps: EvaluatorDeps): EvaluatorService {
  const { clickhouse: ch, settings } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ service: 'evaluator' });
  const decisions = counter(deps.metrics, 'driftloop_evaluator_decisions_total', 'Evaluations by decision.', ['decision']);
  let consumer: Consumer | null = null;

  async function publish(record: EvaluationRecord, causeDetail: string): Promise<void> {
    const event = {
      event_id: record.evaluationId, model: record.model, ts: record.createdAt, run_id: record.runId, cause: { kind: record.cause.kind, ref: record.cause.ref, detail: causeDetail },
      candidate_version: record.candidateVersion, champion_version: record.championVersion, decision: record.decision, reason: record.reason.slice(0, 4000),
      candidate_metrics: record.candidateMetrics, champion_metrics: record.championMetrics,
      gates: record.gates.map(storedGate),
    };
    const producer = await deps.bus.producer();
    await producer.send(topicName(settings.topicPrefix, 'evaluations'), [{ key: record.model, value: await deps.codec.encode('evaluations', event) }]);
  }

  async function evaluate(result: TrainingResult): Promise<EvaluationRecord> {
    const evaluationId = `eval-${result.run_id}`;
    const stored = await getEvaluation(ch, evaluationId);
    if (stored) {
      // A replay: published again, as a crash may have come between storing and publishing (the registry registers an evaluation once).
      await publish(stored, result.cause.detail ?? '');
      return stored;
    }
    if (!result.artifact_uri || !result.artifact_sha256) throw new ValidationError('/artifact_uri', `run ${result.run_id} finished without a model artifact`);
    const run = await getRun(ch, result.run_id);
    if (!run?.dataWindow) throw new ValidationError('/run_id', `run ${result.run_id} has no recorded snapshot window`);
    const candidate = await readArtifact(result.artifact_uri, result.artifact_sha256);
    const championAlias = await getAlias(ch, result.model, CHAMPION_ALIAS);
    const championVersion = championAlias ? await getVersion(ch, result.model, championAlias.version) : null;
    const champion = championVersion ? await readArtifact(championVersion.artifactUri, championVersion.artifactSha256) : null;
    const holdout = await selectHoldout(ch, {
      model: result.model, window: JSON.parse(run.dataWindow) as SnapshotWindow,
      minRows: settings.minHoldoutRows, maxRows: settings.maxHoldoutRows, testSplitRows: settings.testSplitRows,
    });
    const scored = evaluateCandidate({ candidate, champion, rows: holdout.rows, policy: settings.policy, seed: seedOf(result.run_id) });
    const outcome = championVersion ? refuseRepeat(scored, { dataVersion: result.data_version, spec: run.spec }, { version: championVersion.version, dataVersion: championVersion.dataVersion, spec: (await getRun(ch, championVersion.runId))?.spec ?? null }) : scored;
    const record: EvaluationRecord = {
      ...outcome, evaluationId, model: result.model, runId: result.run_id, cause: { kind: result.cause.kind, ref: result.cause.ref }, candidateVersion: result.run_id,
      championVersion: championVersion?.version ?? null, holdout: `${holdout.kind}: ${holdout.rows.length} rows`, holdoutRows: holdout.rows.length,
      artifactUri: result.artifact_uri, artifactSha256: result.artifact_sha256, dataVersion: result.data_version ?? '', createdAt: clock.now(),
    };
    await saveEvaluation(ch, record);
    await publish(record, result.cause.detail ?? '');
    decisions.inc({ decision: record.decision });
    log.info({ model: record.model, run_id: record.runId, decision: record.decision, champion: record.championVersion, holdout: record.holdout, reason: record.reason }, 'candidate evaluated');
    return record;
  }

  return {
    evaluate,
    async start() {
      await deps.codec.register(['evaluations']);
      consumer = await consumeEvents({
        bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix, topic: 'training-results', groupId: settings.groupId, logger: log,
        handle: async (event) => {
          const result = event as unknown as TrainingResult;
          if (result.state === 'done') await evaluate(result);
        },
        // A run that cannot be evaluated (no artifact, an unreadable or tampered model) never will be: said and skipped.
        skip: (err) => err instanceof ConflictError || err instanceof SyntaxError,
        onSkipped: () => decisions.inc({ decision: 'unevaluable' }),
      });
    },
    async stop() {
      await consumer?.close();
      consumer = null;
    },
  };
}
