import { SchemaRegistryError } from '../common/errors.js';

/**
 * Every error the registry API answers, with Confluent's error_code, HTTP
 * status and message wording, so clients that match on codes (the Confluent
 * serdes treat 404 as "not registered yet") behave as against Confluent.
 */
export const registryErrors = {
  unauthorized: () => new SchemaRegistryError('Unauthorized', 401, 401),
  writeUnauthorized: () =>
    new SchemaRegistryError(
      'Writes to the schema registry (register, delete, config) need credentials: Authorization: Bearer <DRIFTLOOP_ADMIN_TOKEN>, or HTTP Basic with DRIFTLOOP_ADMIN_TOKEN as the password (any user). ' +
        'With no DRIFTLOOP_ADMIN_TOKEN set, writes are refused unless SCHEMA_REGISTRY_OPEN_WRITES=true.',
      40101,
      401,
    ),
  subjectNotFound: (subject: string) => new SchemaRegistryError(`Subject '${subject}' not found.`, 40401, 404),
  versionNotFound: (version: number | string) => new SchemaRegistryError(`Version ${version} not found.`, 40402, 404),
  schemaNotFound: (what: number | string = '') =>
    new SchemaRegistryError(what === '' ? 'Schema not found' : `Schema ${what} not found`, 40403, 404),
  subjectSoftDeleted: (subject: string) =>
    new SchemaRegistryError(`Subject '${subject}' was soft deleted. Set permanent=true to delete permanently`, 40404, 404),
  subjectNotSoftDeleted: (subject: string) =>
    new SchemaRegistryError(`Subject '${subject}' was not deleted first before being permanently deleted`, 40405, 404),
  versionSoftDeleted: (subject: string, version: number) =>
    new SchemaRegistryError(`Subject '${subject}' Version ${version} was soft deleted. Set permanent=true to delete permanently`, 40406, 404),
  versionNotSoftDeleted: (subject: string, version: number) =>
    new SchemaRegistryError(`Subject '${subject}' Version ${version} was not deleted first before being permanently deleted`, 40407, 404),
  subjectConfigNotFound: (subject: string) =>
    new SchemaRegistryError(`Subject '${subject}' does not have subject-level compatibility configured`, 40408, 404),
  incompatible: (message: string) => new SchemaRegistryError(message, 409, 409),
  invalidSchema: (reason: string) => new SchemaRegistryError(`Invalid schema: ${reason}`, 42201, 422),
  invalidVersion: (version: string) =>
    new SchemaRegistryError(
      `The specified version '${version}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
      42202,
      422,
    ),
  invalidCompatibility: (value: unknown) =>
    new SchemaRegistryError(
      `Invalid compatibility level ${JSON.stringify(value)}. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive`,
      42203,
      422,
    ),
  referenceExists: (subject: string, version: number) =>
    new SchemaRegistryError(`One or more references exist to the schema {subject=${subject}, version=${version}}`, 42206, 422),
  store: (reason: string, cause: unknown) => new SchemaRegistryError(`Error in the backend data store: ${reason}`, 50001, 500, { cause }),
} as const;
