/** Public API of services/schema-registry: the embedded Confluent-compatible Schema Registry. */
export { createSchemaRegistryService } from './service.js';
export type { SchemaRegistryService, SchemaRegistryServiceOptions, ListenOptions } from './service.js';
export type { SchemaRegistry } from './registry.js';
export type { BasicAuthCredentials, RegistryWriteAuth } from './auth.js';
export type { SchemaVersionView, SchemaView } from './views.js';
export type { CompatibilityLevel, SchemaType, SchemaReference } from './types.js';
export { COMPATIBILITY_LEVELS, DEFAULT_COMPATIBILITY, SCHEMA_TYPES } from './types.js';
export { REGISTRY_CONTENT_TYPE } from './routes.js';
export { checkCompatibility } from './compatibility.js';
export { createSchemaParser } from './schema-parser.js';
export type { ParsedSchema, SchemaParser } from './schema-parser.js';
