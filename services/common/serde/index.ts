export { MAGIC_BYTE, HEADER_BYTES, confluentSchemaId, confluentFrame, looksLikeJsonObject } from './wire.js';
export { createRegistryClient, registryErrorStatus } from './registry-client.js';
export type { RegistryClient, RegistryClientOptions } from './registry-client.js';
export { createSchemaCache } from './schema-cache.js';
export type { SchemaCache, ResolvedSchema, MissingSchema } from './schema-cache.js';
export { createEventCodec, jsonValueSubject } from './event-codec.js';
export type { EventCodec, Encoding } from './event-codec.js';
