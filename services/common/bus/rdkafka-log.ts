import type { Logger } from '../logger.js';
import { logOffsetReset, type OffsetReset } from './offset-reset.js';

/** What node-rdkafka hands to `event.log` (with `event_cb: true`). */
export interface RdkafkaLogLine {
  severity: number;
  fac: string;
  message: string;
}

// librdkafka 2.x: "[thrd:main]: t [0]: offset reset (at offset 3 (leader epoch 0), broker 3) to cached BEGINNING
// offset offset 1851 (leader epoch -1): fetch failed due to requested offset not available on the broker: ..."
const RESET_PARTITION = /(\S+) \[(\d+)\]: offset reset/;
const RESET_FROM = /\(at offset (-?\d+)/;
const RESET_TO = /\) to .*?offset (-?\d+)/;

/** Recognises librdkafka's warning that a fetch position was out of range and got reset. */
export function parseOffsetReset(line: RdkafkaLogLine): OffsetReset | undefined {
  if (line.fac !== 'OFFSET' || !line.message.includes('offset reset') || !/out of range|not available/i.test(line.message)) return undefined;
  const m = RESET_PARTITION.exec(line.message);
  if (!m) return undefined;
  const reset: OffsetReset = { topic: m[1]!, partition: Number(m[2]) };
  const from = RESET_FROM.exec(line.message)?.[1];
  const to = RESET_TO.exec(line.message)?.[1];
  if (from !== undefined) reset.fromOffset = Number(from);
  if (to !== undefined) reset.toOffset = Number(to);
  return reset;
}

/** Forwards one librdkafka log line to pino at the matching level (syslog severities). */
export function forwardRdkafkaLog(logger: Logger, line: RdkafkaLogLine): void {
  const reset = parseOffsetReset(line);
  if (reset) return logOffsetReset(logger, reset);
  const fields = { facility: line.fac };
  if (line.severity <= 3) logger.error(fields, line.message);
  else if (line.severity === 4) logger.warn(fields, line.message);
  else if (line.severity <= 6) logger.info(fields, line.message);
  else logger.debug(fields, line.message);
}
