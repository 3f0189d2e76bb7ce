// Deep import: the package index also loads every cloud KMS SDK (~600 ms of start-up).
import { SchemaRegistryClient, type Client } from '@confluentinc/schemaregistry/dist/schemaregistry-client.js';
import type { ClientConfig } from '@confluentinc/schemaregistry/dist/rest-service.js';

export type { Client as RegistryClient } from '@confluentinc/schemaregistry/dist/schemaregistry-client.js';

export interface RegistryClientOptions {
  url: string;
  user?: string;
  password?: string;
}

/** The Confluent client, pointed at a real registry or at driftloop's embedded one. */
export function createRegistryClient(options: RegistryClientOptions): Client {
  const config: ClientConfig = { baseURLs: [options.url], cacheCapacity: 10_000, maxRetries: 2, retriesWaitMs: 200, retriesMaxWaitMs: 2000 };
  // Either part set means Basic auth (the embedded registry requires it when either is configured).
  if (options.user || options.password) {
    config.basicAuthCredentials = { credentialsSource: 'USER_INFO', userInfo: `${options.user}:${options.password ?? ''}` };
  }
  return new SchemaRegistryClient(config);
}

/** HTTP status of a registry client error, when it has one. */
export function registryErrorStatus(err: unknown): number | undefined {
  const e = err as { status?: number; response?: { status?: number } };
  return e.status ?? e.response?.status;
}
