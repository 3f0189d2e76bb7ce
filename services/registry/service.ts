import { topicName } from '../../schemas/index.js';
import { ConflictError, DecodeError, NotFoundError, ValidationError, counter, errorMessage, systemClock, type ClickHouse, type Clock, type Consumer, type EventBus, type EventCodec, type IncomingMessage, type Logger, type Registry as MetricsRegistry } from '../common/index.js';
import { getEvaluation } from '../evaluator/index.js';
import { getRun, listArtifacts } from '../trainer/index.js';
import { createRegistry, type Registry } from './registry.js';

export interface RegistrySettings {
  topicPrefix: string;
  groupId: string;
  artifactsDir: string;
  approval: 'auto' | 'manual';
}

export interface RegistryServiceDeps {
  bus: EventBus;
  clickhouse: ClickHouse;
  codec: EventCodec;
  logger: Logger;
  metrics: MetricsRegistry;
  clock?: Clock;
  settings: RegistrySettings;
}

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

  async function onBatch(messages: IncomingMessage[]): Promise<void> {
    const last = new Map<number, number>();
    for (const msg of messages) {
      if (msg.value) {
        try {
          await onEvaluation(await deps.codec.decode('evaluations', msg.value));
        } catch (err) {
          // An evaluation that cannot be registered (artifact gone or changed) is said and skipped; ClickHouse or Kafka trouble re-reads the batch.
          if (!(err instanceof DecodeError || err instanceof ValidationError || err instanceof ConflictError || err instanceof NotFoundError)) throw err;
          registrations.inc({ outcome: 'failed' });
          log.warn({ partition: msg.partition, offset: msg.offset, err: errorMessage(err) }, 'evaluation not registered');
        }
      }
      last.set(msg.partition, msg.offset);
    }
    await consumer?.commit([...last].map(([partition, offset]) => ({ topic: topicName(settings.topicPrefix, 'evaluations'), partition, offset: offset + 1 })));
  }

  return {
    ...registry,
    async start() {
      await deps.codec.register(['registry-events']);
      consumer = await deps.bus.consumer({
        groupId: settings.groupId,
        topics: [topicName(settings.topicPrefix, 'evaluations')],
        onBatch,
        onError: (err) => log.warn({ err: errorMessage(err) }, 'evaluations consumer error'),
      });
    },
    async stop() {
      await consumer?.close();
      consumer = null;
    },
  };
}
