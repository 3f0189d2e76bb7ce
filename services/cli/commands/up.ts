import { ConfigError, commonOptions, createLogger, loadConfig } from '../../common/index.js';
import { startRuntime } from '../runtime.js';
import { SERVICES, SERVICE_NAMES, registerServiceRoutes, type RunnableService, type ServiceName } from '../services.js';

export function parseServiceNames(list: string | undefined): ServiceName[] {
  if (!list) return [...SERVICE_NAMES];
  const names = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) {
    if (!(SERVICE_NAMES as readonly string[]).includes(n)) throw new ConfigError('--services', `unknown service ${JSON.stringify(n)} (allowed: ${SERVICE_NAMES.join(', ')})`);
  }
  return names as ServiceName[];
}

/**
 * Runs services in this process until SIGTERM or SIGINT, then stops them in
 * reverse order (each drains and commits what it holds) and closes the engines.
 */
export async function up(names: readonly ServiceName[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const config = loadConfig(commonOptions, env);
  const logger = createLogger({ service: 'driftloop', level: config.logLevel });
  const running = new Map<ServiceName, RunnableService>();
  const runtime = await startRuntime(config, logger, {
    routes: names.map((name) => (app, shared) => registerServiceRoutes(name, app, { config, env, ...shared }, running)),
  });
  const services: { name: ServiceName; service: RunnableService }[] = [];
  let stopping = false;

  const shutdown = async (code: number): Promise<never> => {
    if (stopping) process.exit(code);
    stopping = true;
    logger.info({ code }, 'shutting down');
    for (const { name, service } of services.reverse()) {
      try {
        await service.stop();
      } catch (err) {
        logger.error({ err, service: name }, 'service did not stop cleanly');
      }
      running.delete(name);
    }
    await runtime.close();
    process.exit(code);
  };
  const onFatal = (err: Error): void => {
    logger.fatal({ err }, 'fatal error; exiting so a supervisor restarts the process');
    process.exit(1);
  };

  process.once('SIGTERM', () => void shutdown(0));
  process.once('SIGINT', () => void shutdown(0));
  for (const name of names) {
    const service: RunnableService = await SERVICES[name].build(runtime, env, onFatal);
    runtime.http.addReadinessCheck(name, () => service.checkReady?.());
    await service.start();
    services.push({ name, service });
    running.set(name, service);
  }
  logger.info({ url: runtime.url, schemaRegistryUrl: runtime.schemaRegistryUrl, kafkaBrokers: runtime.kafkaBrokers, services: names }, 'driftloop up');
}
