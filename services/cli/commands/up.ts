import { ConfigError, commonOptions, createLogger, loadConfig } from '../../common/index.js';
import { SERVICE_NAMES, type ServiceName } from '../services.js';
import { OPTION_GROUPS } from './config.js';
import { EMBEDDED_RETENTION_NOTE, startServices, type RunningServices } from '../start-services.js';

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
  // Every named service's options are checked before any engine starts: a bad value fails at once, naming its key.
  for (const name of names) loadConfig(OPTION_GROUPS[name]!, env);
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
  // For the person at a terminal (the JSON log on stdout is for machines): where to connect, and a first event to send.
  if (process.stderr.isTTY) process.stderr.write(upBanner({ url: runtime.url, kafkaBrokers: runtime.kafkaBrokers, embedded: config.kafkaBrokers.length === 0, schemaRegistryUrl: runtime.schemaRegistryUrl, topicPrefix: config.topicPrefix, services: names }));
}

export interface UpBannerFacts {
  url: string;
  kafkaBrokers: readonly string[];
  embedded: boolean;
  schemaRegistryUrl: string;
  topicPrefix: string;
  services: readonly string[];
}

/** The plain-text lines `driftloop up` prints once everything has started. */
export function upBanner(f: UpBannerFacts): string {
  const broker = f.kafkaBrokers.join(',');
  // Plain JSON, stamped now by the shell: the features topic accepts it as it does Confluent Avro.
  const event = `'{"event_id":"e1","model":"my-model","ts":"'$(date -u +%FT%TZ)'","numeric":{"x":1.5}}'`;
  return [
    '',
    `driftloop is up: ${f.services.join(', ')} on ${f.url}`,
    `  Kafka            ${broker}${f.embedded ? ` (embedded: ${EMBEDDED_RETENTION_NOTE})` : ''}`,
    `  Schema Registry  ${f.schemaRegistryUrl}`,
    `  Topics           ${f.topicPrefix}features, ${f.topicPrefix}predictions, ${f.topicPrefix}labels`,
    `  Send one event   echo ${event} | kcat -P -b ${broker} -t ${f.topicPrefix}features -k e1`,
    `  See the loop     driftloop status --url ${f.url}`,
    '',
    '',
  ].join('\n');
}
