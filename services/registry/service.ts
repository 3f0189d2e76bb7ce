import { ConflictError, NotFoundError, consumeEvents, counter, systemClock, type Consumer, type ServiceDeps } from '../common/index.js';
import { getEvaluation } from '../evaluator/index.js';
import { getRun, listArtifacts } from '../trainer/index.js';
import { createRegistry, type Registry } from './registry.js';

export interface RegistrySettings {
  topicPrefix: string;
  groupId: string;
  artifactsDir: string;
  approval: 'auto' | 'manual';
}

export type RegistryServiceDeps = ServiceDeps<RegistrySettings>;

export interface RegistryService extends Registry {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The registry service: registers every candidate the evaluator let through
 * (`evaluations` with decision register) as the model's next version, with
 * its artifacts copied and checked, its lineage (run, data version,
 * evaluation, the cause that started the run) and, with automatic approval,
 * approved at once; and serves the registry operations to the API and CLI.
 */
export function createRegistryService(deps: RegistryServiceDeps): RegistryService {
  const { clickhouse: ch, settings } = deps;
  const log = deps.logger.child({ service: 'registry' });
  const registrations = counter(deps.metrics, 'driftloop_registry_registrations_total', 'Evaluations read, by outcome.', ['outcome']);
  const registry = createRegistry({
    clickhouse: ch, bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix, clock: deps.clock ?? systemClock, logger: log,
    artifactsDir: settings.artifactsDir, approval: settings.approval,
  });
  let consumer: Consumer | null = null;

  async function onEvaluation(event: Record<string, unknown>): Promise<void> {
    if (event.decision !== 'register') {
      registrations.inc({ outcome: 'rejected_by_evaluator' });
      return;
    }
    const evaluationId = String(event.event_id);
    const evaluation = await getEvaluation(ch, evaluationId);
    if (!evaluation) throw new NotFoundError(`evaluation ${evaluationId}`);
    const run = await getRun(ch, evaluation.runId);
    const artifacts = Object.fromEntries((await listArtifacts(ch, evaluation.runId)).map((a) => [a.name, a.path]));
    const cause = event.cause as { kind: string; ref: string; detail: string };
    await registry.register({
      model: evaluation.model, runId: evaluation.runId, dataVersion: evaluation.dataVersion, evaluationId, cause,
      artifacts, modelSha256: evaluation.artifactSha256, metrics: evaluation.candidateMetrics,
      lineage: { code_version: run?.codeVersion ?? '', holdout: evaluation.holdout, ...(evaluation.championVersion ? { evaluated_against: evaluation.championVersion } : {}) },
    });
    registrations.inc({ outcome: 'registered' });
  }

  return {
    ...registry,
    async start() {
      await deps.codec.register(['registry-events']);
      consumer = await consumeEvents({
        bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix, topic: 'evaluations', groupId: settings.groupId, logger: log,
        handle: onEvaluation,
        // An evaluation that cannot be registered (artifact gone or changed, evaluation missing) never will be: said and skipped.
        skip: (err) => err instanceof ConflictError || err instanceof NotFoundError,
        onSkipped: () => registrations.inc({ outcome: 'failed' }),
      });
    },
    async stop() {
      await consumer?.close();
      consumer = null;
    },
  };
}
