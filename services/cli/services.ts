import type { FastifyInstance } from 'fastify';
import { ConfigError, loadConfig, systemClock, type ClickHouse, type Logger, type Registry } from '../common/index.js';
import { createIngestService, ingestOptions, registerIngestRoutes, type IngestService } from '../ingest/index.js';
import { createAlertSender, createClickHouseAlertOutbox, createDriftMonitor, defaultPolicyFromConfig, driftOptions, parsePolicies, registerDriftRoutes, type DriftMonitor } from '../drift/index.js';
import { createTrainerService, DEFAULT_SPEC, findTorchPython, parseTrainerCommands, registerTrainerRoutes, resolveSpec, trainerOptions, type TrainerService, type TrainingSpec } from '../trainer/index.js';
import { createEvaluatorService, evaluatorOptions, registerEvaluatorRoutes, type EvaluatorService } from '../evaluator/index.js';
import { createRegistry, createRegistryService, registerRegistryRoutes, registryOptions, type RegistryService } from '../registry/index.js';
import { createRolloutController, createWebhookSender, registerRolloutRoutes, rolloutOptions, rolloutSettingsFromConfig, type RolloutController } from '../rollout/index.js';
import { createGatewayService, gatewayOptions, registerGatewayRoutes, type GatewayService } from '../gateway/index.js';
import type { CommonConfig, Runtime } from './runtime.js';

/** A service as the process runner sees it. */
export interface RunnableService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Throws while not ready (wired into /readyz). */
  checkReady?(): void;
}

/** What a service's routes get: the common config, its environment (for its own options) and the shared logger and metrics. */
export interface RouteContext {
  config: CommonConfig;
  env: NodeJS.ProcessEnv;
  logger: Logger;
  metrics: Registry;
  clickhouse: ClickHouse;
}

interface ServiceDefinition<S extends RunnableService> {
  /** Builds the service from the shared runtime and its own options, read from `env` (probing the machine where it must). */
  build(runtime: Runtime, env: NodeJS.ProcessEnv, onFatal: (err: Error) => void): S | Promise<S>;
  /** Adds its HTTP API to the shared server, which freezes routes when it starts listening, so before the service exists. */
  routes?(app: FastifyInstance, context: RouteContext, service: () => S | undefined): Promise<void>;
}

/** What most services take from the runtime: the bus, ClickHouse, the codec, the logger and the metrics registry. */
function engines(runtime: Runtime): Pick<Runtime, 'bus' | 'clickhouse' | 'codec' | 'logger' | 'metrics'> {
  return { bus: runtime.bus, clickhouse: runtime.clickhouse, codec: runtime.codec, logger: runtime.logger, metrics: runtime.metrics };
}

const ingest: ServiceDefinition<IngestService> = {
  build(runtime, env, onFatal) {
    const c = loadConfig(ingestOptions, env);
    return createIngestService({
      bus: runtime.busFor(c.ingestKafkaClient),
      clickhouse: runtime.clickhouse,
      schemas: runtime.schemas,
      codec: runtime.codec,
      logger: runtime.logger,
      metrics: runtime.metrics,
      onFatal,
      settings: {
        groupId: c.ingestGroupId,
        topics: c.ingestTopics as ('features' | 'predictions' | 'labels')[],
        topicPrefix: runtime.config.topicPrefix,
        batchMaxRows: c.ingestBatchMaxRows,
        batchMaxBytes: c.ingestBatchMaxBytes,
        batchMaxWaitMs: c.ingestBatchMaxWaitMs,
        retryMaxDelayMs: c.ingestRetryMaxDelayMs,
        shutdownTimeoutMs: c.ingestShutdownTimeoutMs,
        sessionTimeoutMs: c.ingestSessionTimeoutMs,
        deadLetterMaxBytes: c.ingestDeadLetterMaxBytes,
        stallTimeoutMs: c.ingestStallTimeoutMs,
        retentionDays: { features: c.retentionDaysFeatures, predictions: c.retentionDaysPredictions, labels: c.retentionDaysLabels },
      },
    });
  },
  routes: (app, { config }, service) => registerIngestRoutes(app, { ingest: service, adminToken: config.adminToken }),
};

const drift: ServiceDefinition<DriftMonitor> = {
  build(runtime, env) {
    const c = loadConfig(driftOptions, env);
    const defaultPolicy = defaultPolicyFromConfig(c);
    const alerts = c.driftAlertWebhooks.length
      ? createAlertSender({
          webhooks: c.driftAlertWebhooks.map((url) => ({ url, hmacSecret: c.driftAlertHmacSecret || undefined, bearerToken: c.driftAlertBearerToken || undefined })),
          logger: runtime.logger,
          registry: runtime.metrics,
          outbox: createClickHouseAlertOutbox(runtime.clickhouse),
        })
      : undefined;
    return createDriftMonitor({
      ...engines(runtime),
      alerts,
      settings: {
        topicPrefix: runtime.config.topicPrefix,
        groupId: c.driftGroupId,
        pollIntervalMs: c.driftPollIntervalMs,
        latenessMs: c.driftLatenessMs,
        epsilon: c.driftPsiEpsilon,
        openRunTimeoutMs: c.driftOpenRunTimeoutMs,
        defaultPolicy,
        policies: parsePolicies(c.driftPolicies, defaultPolicy),
        promotionReference: c.driftPromotionReference ? { groupId: c.driftPromotionGroupId, fallbackMs: c.driftPromotionFallbackMs, servedMs: c.driftPromotionServedMs } : undefined,
      },
    });
  },
  async routes(app, { config, env, logger, metrics }, service) {
    const c = loadConfig(driftOptions, env);
    await registerDriftRoutes(app, {
      drift: service,
      adminToken: config.adminToken,
      hooks: { bearerToken: c.driftHookToken, hmacSecret: c.driftHookHmacSecret, modelLabel: c.driftHookModelLabel },
      logger,
      registry: metrics,
    });
  },
};

const trainer: ServiceDefinition<TrainerService> = {
  async build(runtime, env) {
    const c = loadConfig(trainerOptions, env);
    // Without torch, torch-mlp runs fail saying so; the builtin trainers need no Python.
    const python = (await findTorchPython(c.trainerPython)) ?? 'python3';
    const commands = parseTrainerCommands(c.trainerCommands, python);
    let defaultSpec: TrainingSpec;
    try {
      defaultSpec = resolveSpec(DEFAULT_SPEC, JSON.parse(c.trainerSpec) as Record<string, string>, commands);
    } catch (err) {
      throw new ConfigError('TRAINER_SPEC', (err as Error).message);
    }
    return createTrainerService({
      ...engines(runtime),
      settings: {
        topicPrefix: runtime.config.topicPrefix,
        groupId: c.trainerGroupId,
        artifactsDir: c.trainerArtifactsDir,
        workDir: c.trainerWorkDir,
        parallelism: c.trainerParallelism,
        gpus: c.trainerGpus,
        cpuSlots: c.trainerCpuSlots,
        killGraceMs: c.trainerKillGraceMs,
        commands,
        python,
        defaultSpec,
      },
    });
  },
  routes: (app, { clickhouse, config }, service) => registerTrainerRoutes(app, { clickhouse, trainer: service, adminToken: config.adminToken }),
};

const evaluator: ServiceDefinition<EvaluatorService> = {
  build(runtime, env) {
    const c = loadConfig(evaluatorOptions, env);
    return createEvaluatorService({
      ...engines(runtime),
      settings: {
        topicPrefix: runtime.config.topicPrefix,
        groupId: c.evalGroupId,
        testSplitRows: c.evalTestSplitRows,
        minHoldoutRows: c.evalMinHoldoutRows,
        maxHoldoutRows: c.evalMaxHoldoutRows,
        policy: {
          metric: c.evalMetric, minHoldoutRows: c.evalMinHoldoutRows, absoluteThreshold: c.evalAbsoluteThreshold, minImprovement: c.evalMinImprovement, margin: c.evalMargin,
          sliceMinRows: c.evalSliceMinRows, sliceTolerance: c.evalSliceTolerance, resamples: c.evalBootstrapResamples, confidence: c.evalConfidence,
        },
      },
    });
  },
  routes: (app, { clickhouse }) => registerEvaluatorRoutes(app, { clickhouse }),
};

const registry: ServiceDefinition<RegistryService> = {
  build(runtime, env) {
    const c = loadConfig(registryOptions, env);
    return createRegistryService({
      ...engines(runtime),
      settings: { topicPrefix: runtime.config.topicPrefix, groupId: c.registryGroupId, artifactsDir: c.registryArtifactsDir, approval: c.registryApproval },
    });
  },
  routes: (app, { clickhouse, config }, service) => registerRegistryRoutes(app, { clickhouse, registry: service, adminToken: config.adminToken }),
};

const gateway: ServiceDefinition<GatewayService> = {
  build(runtime, env) {
    const c = loadConfig(gatewayOptions, env);
    return createGatewayService({
      ...engines(runtime),
      settings: {
        topicPrefix: runtime.config.topicPrefix,
        groupId: c.gatewayGroupId,
        planRefreshMs: c.gatewayPlanRefreshMs,
        maxInstances: c.gatewayMaxInstances,
        shadowQueueCapacity: c.gatewayShadowQueueCapacity,
        emitBufferCapacity: c.gatewayEmitBufferCapacity,
        emitBatchWaitMs: c.gatewayEmitBatchWaitMs,
        overload: c.gatewayOverload,
        stickyKey: c.gatewayStickyKey,
        eventTimeHeader: c.gatewayEventTimeHeader,
      },
    });
  },
  routes: (app, { env }, service) => registerGatewayRoutes(app, { gateway: service, apiKeys: loadConfig(gatewayOptions, env).gatewayApiKeys }),
};

const rollout: ServiceDefinition<RolloutController> = {
  build(runtime, env) {
    const c = loadConfig(rolloutOptions, env);
    const r = loadConfig(registryOptions, env);
    // Alias moves and gate tags go through the registry's own operations: recorded, and published on registry-events.
    const registry = createRegistry({
      clickhouse: runtime.clickhouse, bus: runtime.bus, codec: runtime.codec, topicPrefix: runtime.config.topicPrefix, clock: systemClock,
      logger: runtime.logger, artifactsDir: r.registryArtifactsDir, approval: r.registryApproval,
    });
    const webhooks = c.rolloutWebhooks.length
      ? createWebhookSender({ urls: c.rolloutWebhooks, hmacSecret: c.rolloutWebhookSecret, logger: runtime.logger, registry: runtime.metrics })
      : undefined;
    return createRolloutController({ ...engines(runtime), registry, webhooks, settings: rolloutSettingsFromConfig(c, runtime.config.topicPrefix) });
  },
  routes: (app, { config }, service) => registerRolloutRoutes(app, { rollout: service, adminToken: config.adminToken }),
};

/** Every service `driftloop up` / `run` can start, in start order. */
export const SERVICES = { ingest, drift, trainer, evaluator, registry, rollout, gateway } satisfies Record<string, ServiceDefinition<RunnableService>>;
export type ServiceName = keyof typeof SERVICES;
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** Adds a service's routes; they find the running instance in `running` at request time. */
export async function registerServiceRoutes(
  name: ServiceName,
  app: FastifyInstance,
  context: RouteContext,
  running: ReadonlyMap<ServiceName, RunnableService>,
): Promise<void> {
  const def: ServiceDefinition<RunnableService> = SERVICES[name];
  await def.routes?.(app, context, () => running.get(name));
}
