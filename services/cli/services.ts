import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../common/index.js';
import { createIngestService, ingestOptions, registerIngestRoutes, type IngestService } from '../ingest/index.js';
import type { CommonConfig, Runtime } from './runtime.js';

/** A service as the process runner sees it. */
export interface RunnableService {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Throws while not ready (wired into /readyz). */
  checkReady?(): void;
}

interface ServiceDefinition<S extends RunnableService> {
  /** Builds the service from the shared runtime and its own options, read from `env`. */
  build(runtime: Runtime, env: NodeJS.ProcessEnv, onFatal: (err: Error) => void): S;
  /** Adds its HTTP API to the shared server, which freezes routes when it starts listening, so before the service exists. */
  routes?(app: FastifyInstance, config: CommonConfig, service: () => S | undefined): Promise<void>;
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
      },
    });
  },
  routes: (app, config, service) => registerIngestRoutes(app, { ingest: service, adminToken: config.adminToken }),
};

/** Every service `driftloop up` / `run` can start, in start order. */
export const SERVICES = { ingest } satisfies Record<string, ServiceDefinition<RunnableService>>;
export type ServiceName = keyof typeof SERVICES;
export const SERVICE_NAMES = Object.keys(SERVICES) as ServiceName[];

/** Adds a service's routes; they find the running instance in `running` at request time. */
export async function registerServiceRoutes(
  name: ServiceName,
  app: FastifyInstance,
  config: CommonConfig,
  running: ReadonlyMap<ServiceName, RunnableService>,
): Promise<void> {
  const def: ServiceDefinition<RunnableService> = SERVICES[name];
  await def.routes?.(app, config, () => running.get(name));
}
