import { commonOptions, gauge, loadConfig, type ClickHouse, type Logger, type Registry } from '../common/index.js';
import { startRuntime, type Runtime } from './runtime.js';
import { SERVICES, registerServiceRoutes, type RunnableService, type ServiceName } from './services.js';

export interface StartServicesOptions {
  names: readonly ServiceName[];
  /** Where every option is read from (common and each service's). */
  env: NodeJS.ProcessEnv;
  logger: Logger;
  /** A service failed beyond repair; the process should end. */
  onFatal(err: Error): void;
}

/** Services running in this process on one runtime. */
export interface RunningServices {
  readonly runtime: Runtime;
  readonly names: readonly ServiceName[];
  /** Stops the services in reverse start order (each drains and commits what it holds), then the engines. */
  stop(): Promise<void>;
}

/**
 * Starts the runtime (engines, HTTP server with every named service's routes)
 * and then the services in order, each wired into /readyz. What `driftloop up`
 * and the demo share; a failure part way stops what had started.
 */
export async function startServices(options: StartServicesOptions): Promise<RunningServices> {
  const { names, env, logger, onFatal } = options;
  const config = loadConfig(commonOptions, env);
  const running = new Map<ServiceName, RunnableService>();
  // The HTTP server answers while the engines and then the services start one by one: until the last has started, /readyz
  // says what is pending, so nothing (a load balancer, a test, the demo) calls an API whose service is not there yet.
  let starting: string | null = 'the engines';
  const ready: { runtime?: Runtime } = {};
  const runtime = await startRuntime(config, logger, {
    routes: [
      // Where producers connect: the embedded broker listens on ports of its own choosing.
      async (app) => void app.get('/runtime', async () => runtimeInfo(ready.runtime, config.kafkaBrokers.length === 0, names)),
      ...names.map((name) => (app: Parameters<typeof registerServiceRoutes>[1], shared: { logger: Logger; metrics: Registry; clickhouse: ClickHouse }) =>
        registerServiceRoutes(name, app, { config, env, ...shared }, running)),
    ],
    startup: () => {
      if (starting) throw new Error(`starting ${starting}`);
    },
  });
  ready.runtime = runtime;
  if (config.kafkaBrokers.length === 0) {
    // The embedded broker's one limit operators must know about, as a figure a dashboard can show next to consumer lag.
    gauge(runtime.metrics, 'driftloop_embedded_kafka_partition_retention_bytes', `Bytes of each partition the embedded broker keeps (${EMBEDDED_RETENTION_NOTE}); a consumer further behind loses messages. Absent on real Kafka.`).set(EMBEDDED_PARTITION_RETENTION_BYTES);
  }
  const started: { name: ServiceName; service: RunnableService }[] = [];
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      for (const { name, service } of started.splice(0).reverse()) {
        try {
          await service.stop();
        } catch (err) {
          logger.error({ err, service: name }, 'service did not stop cleanly');
        }
        running.delete(name);
      }
      await runtime.close();
    })();
    return stopping;
  };
  try {
    for (const name of names) {
      starting = name;
      const service: RunnableService = await SERVICES[name].build(runtime, env, onFatal);
      runtime.http.addReadinessCheck(name, () => service.checkReady?.());
      await service.start();
      started.push({ name, service });
      running.set(name, service);
    }
    starting = null;
  } catch (err) {
    await stop();
    throw err;
  }
  return { runtime, names, stop };
}

/** What `GET /runtime` answers: where this process's engines are, for producers and `driftloop status`. */
export interface RuntimeInfo {
  kafka: { brokers: string[]; embedded: boolean };
  schema_registry_url: string | null;
  topic_prefix: string | null;
  services: string[];
}

/** The embedded broker keeps about this much of each partition (the mock cluster's fixed limit). */
export const EMBEDDED_PARTITION_RETENTION_BYTES = 5 * 1024 * 1024;
export const EMBEDDED_RETENTION_NOTE = 'it keeps only about the last 5 MiB of each partition';

function runtimeInfo(runtime: Runtime | undefined, embedded: boolean, names: readonly ServiceName[]): RuntimeInfo {
  return {
    kafka: { brokers: [...(runtime?.kafkaBrokers ?? [])], embedded },
    schema_registry_url: runtime?.schemaRegistryUrl ?? null,
    topic_prefix: runtime?.config.topicPrefix ?? null,
    services: [...names],
  };
}
