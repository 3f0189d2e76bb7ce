export { durationMs, DURATION_UNIT_MS } from './duration.js';
export { opt, loadConfig, redactConfig } from './schema.js';
export type { Option, ConfigSchema, ConfigOf } from './schema.js';
export { kafkaOptions, clickhouseOptions, schemaRegistryOptions, processOptions, commonOptions } from './settings.js';
