import { SchemaRegistryError, errorMessage } from '../errors.js';
import type { RegistryClient } from './registry-client.js';
import { registryErrorStatus } from './registry-client.js';
import { confluentSchemaId } from './wire.js';

export interface ResolvedSchema {
  id: number;
  type: 'AVRO' | 'JSON' | 'PROTOBUF';
  schema: string;
}

/** What the registry said about an id it does not know; messages carrying it are dead letters. */
export interface MissingSchema {
  id: number;
  missing: string;
}

/**
 * Schema ids seen on the wire, resolved through the registry once and then
 * answered synchronously, so decoding a batch awaits only for new ids.
 */
export interface SchemaCache {
  peek(id: number): ResolvedSchema | MissingSchema | undefined;
  /** Schema ids in these Confluent-framed values not resolved yet: one pass, no allocation when there are none. */
  unresolved(values: Iterable<Buffer | null>): number[];
  /** Fetches the ids not cached yet. Throws a retriable error when the registry cannot be reached. */
  load(ids: Iterable<number>): Promise<void>;
}

export function createSchemaCache(client: RegistryClient): SchemaCache {
  const cache = new Map<number, ResolvedSchema | MissingSchema>();
  return {
    peek: (id) => cache.get(id),
    unresolved(values) {
      let ids: Set<number> | undefined;
      for (const v of values) {
        const id = confluentSchemaId(v);
        if (id !== undefined && !cache.has(id)) (ids ??= new Set()).add(id);
      }
      return ids ? [...ids] : [];
    },
    async load(ids) {
      const wanted = [...new Set(ids)].filter((id) => !cache.has(id));
      await Promise.all(
        wanted.map(async (id) => {
          try {
            // No subject: ids are global, and producers may use any subject naming strategy.
            const info = await client.getBySubjectAndId('', id);
            cache.set(id, { id, type: (info.schemaType ?? 'AVRO') as ResolvedSchema['type'], schema: info.schema });
          } catch (err) {
            const status = registryErrorStatus(err);
            if (status === 404) {
              cache.set(id, { id, missing: `schema id ${id} is not in the registry` });
              return;
            }
            throw new SchemaRegistryError(`cannot fetch schema id ${id}: ${errorMessage(err)}`, 50001, 503, { cause: err });
          }
        }),
      );
    },
  };
}
