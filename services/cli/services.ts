import { loadConfig } from '../common/index.js';
import { createIngestService, ingestOptions } from '../ingest/index.js';
import type { Runtime } from './runtime.js';

/** A service as the process runner sees it. */
export interface RunnableService {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Throws while not ready (wired into /readyz). */
  checkReady?(): void;
}

export const SERVICE_NAMES = ['ingest'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Builds one service from the shared runtime and its own options (read from `env`). */
export function buildService(name: ServiceName, runtime: Runtime, env: NodeJS.ProcessEnv, onFatal: (err: Error) => void): RunnableService {
  switch (name) {
    case 'ingest': {
      const c = loadConfig(ingestOptions, env);
      const ingest = createIngestService({
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
      return { name, start: () => ingest.start(), stop: () => ingest.stop(), checkReady: () => ingest.checkReady() };
    }
  }
}
