import { ConfigError, commonOptions, createLogger, loadConfig } from '../../common/index.js';
import { SERVICE_NAMES, type ServiceName } from '../services.js';
import { startServices, type RunningServices } from '../start-services.js';

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
  const onFatal = (err: Error): void => {
    logger.fatal({ err }, 'fatal error; exiting so a supervisor restarts the process');
    process.exit(1);
  };
  const starting: Promise<RunningServices> = startServices({ names, env, logger, onFatal });
  let stopping = false;

  const shutdown = async (code: number): Promise<never> => {
    if (stopping) process.exit(code);
    stopping = true;
    logger.info({ code }, 'shutting down');
    // A signal during start stops what started once it has.
    await starting.then((s) => s.stop()).catch(() => undefined);
    process.exit(code);
  };

  process.once('SIGTERM', () => void shutdown(0));
  process.once('SIGINT', () => void shutdown(0));
  const { runtime } = await starting;
  logger.info({ url: runtime.url, schemaRegistryUrl: runtime.schemaRegistryUrl, kafkaBrokers: runtime.kafkaBrokers, services: names }, 'driftloop up');
}
