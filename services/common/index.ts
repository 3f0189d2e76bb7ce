/** Public API of services/common: the only module other folders import from it. */
export * from './errors.js';
export { retry, sleep, backoffDelayMs } from './retry.js';
export { createSerialQueue, createKeyedSerialQueue, type SerialQueue, type KeyedSerialQueue } from './serial.js';
export { seededRandom } from './random.js';
export { quoteInput, ECHO_MAX_CHARS } from './echo.js';
export { IMPORTANCE_PREFIX, TEST_ACCURACY, importanceOf, testAccuracyOf } from './run-metrics.js';
export type { RetryOptions } from './retry.js';
export { createLogger, silentLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { createMetricsRegistry, counter, gauge, histogram, Registry } from './metrics.js';
export type { Clock } from './clock.js';
export { systemClock } from './clock.js';
export * from './config/index.js';
export * from './http/index.js';
export * from './bus/index.js';
export * from './clickhouse/index.js';
export * from './serde/index.js';
export type { ServiceDeps } from './service-deps.js';
