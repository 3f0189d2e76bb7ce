import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Service name stamped on every line. */
  service: string;
  /** @default 'info' */
  level?: string;
  /** Where lines go. @default stdout */
  destination?: DestinationStream;
}

/**
 * Paths that may hold credentials; pino replaces them before the line is
 * written, so a secret in a config object or request never reaches logs.
 */
const REDACT = [
  '*.password',
  '*.token',
  '*.secret',
  '*.authorization',
  'req.headers.authorization',
  'req.headers["x-grafana-alerting-signature"]',
  'config.kafkaSaslPassword',
  'config.clickhousePassword',
  'config.schemaRegistryPassword',
  'config.adminToken',
];

/** pino JSON logger; services derive child loggers carrying model, run_id, event_id. */
export function createLogger(options: LoggerOptions): Logger {
  const { service, level = 'info', destination } = options;
  const base = { service };
  const opts = { level, base, redact: { paths: REDACT, censor: '<redacted>' }, timestamp: pino.stdTimeFunctions.isoTime };
  return destination ? pino(opts, destination) : pino(opts);
}

/** A logger that drops everything, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
