import type { ClickHouse } from '../common/clickhouse/index.js';
import { COMPATIBILITY_LEVELS, type CompatibilityLevel, type SchemaReference, type StoredSchema, type SubjectVersion, type VersionState } from './types.js';

/** Everything the registry persists, as loaded at start. */
export interface StoreSnapshot {
  schemas: StoredSchema[];
  /** Newest row per subject version, purged ones included (they free their version number). */
  versions: SubjectVersion[];
  /** Subject → level; `''` is the global level. Subjects whose level was deleted are absent. */
  config: Map<string, CompatibilityLevel>;
}

/**
 * Persistence of the embedded registry: the tables of
 * infra/clickhouse/002_schema_registry.sql, append-only (newest revision per
 * key wins). Callers serialize writes; the revision counter is in-process.
 */
export interface RegistryStore {
  load(): Promise<StoreSnapshot>;
  insertSchema(schema: StoredSchema): Promise<void>;
  putVersions(rows: readonly SubjectVersion[]): Promise<void>;
  /** `null` deletes the subject's level (the global one falls back to the default). */
  putConfig(subject: string, level: CompatibilityLevel | null): Promise<void>;
}

interface SchemaRow {
  id: number;
  guid: string;
  schema_type: string;
  fingerprint: string;
  schema: string;
  references: string;
  metadata: string;
  rule_set: string;
  revision: number;
}

interface VersionRow {
  subject: string;
  version: number;
  schema_id: number;
  state: VersionState;
  revision: number;
}

interface ConfigRow {
  subject: string;
  compatibility: string;
  revision: number;
}

export function createClickHouseRegistryStore(deps: { clickhouse: ClickHouse }): RegistryStore {
  const ch = deps.clickhouse;
  let revision = 0;
  const next = (): number => ++revision;

  return {
    async load() {
      const [schemas, versions, config] = await Promise.all([
        ch.query<SchemaRow>(
          `SELECT id, guid, schema_type, fingerprint, schema, references, metadata, rule_set, revision
           FROM {db:Identifier}.schema_registry_schemas FINAL ORDER BY id`,
        ),
        ch.query<VersionRow>(
          `SELECT subject, version, schema_id, state, revision
           FROM {db:Identifier}.schema_registry_versions FINAL ORDER BY subject, version`,
        ),
        ch.query<ConfigRow>('SELECT subject, compatibility, revision FROM {db:Identifier}.schema_registry_config FINAL'),
      ]);
      revision = Math.max(0, ...[...schemas, ...versions, ...config].map((r) => Number(r.revision)));
      return {
        schemas: schemas.map(toStoredSchema),
        versions: versions.map((r) => ({ subject: r.subject, version: Number(r.version), schemaId: Number(r.schema_id), state: r.state })),
        config: new Map(
          config
            .filter((r) => (COMPATIBILITY_LEVELS as readonly string[]).includes(r.compatibility))
            .map((r) => [r.subject, r.compatibility as CompatibilityLevel]),
        ),
      };
    },

    async insertSchema(s) {
      await ch.insertObjects('schema_registry_schemas', [
        {
          id: s.id,
          guid: s.guid,
          schema_type: s.schemaType,
          fingerprint: s.fingerprint,
          schema: s.schema,
          references: JSON.stringify(s.references),
          metadata: s.metadata === undefined ? '' : JSON.stringify(s.metadata),
          rule_set: s.ruleSet === undefined ? '' : JSON.stringify(s.ruleSet),
          revision: next(),
        },
      ]);
    },

    async putVersions(rows) {
      await ch.insertObjects(
        'schema_registry_versions',
        rows.map((r) => ({ subject: r.subject, version: r.version, schema_id: r.schemaId, state: r.state, revision: next() })),
      );
    },

    async putConfig(subject, level) {
      await ch.insertObjects('schema_registry_config', [{ subject, compatibility: level ?? '', revision: next() }]);
    },
  };
}

function toStoredSchema(r: SchemaRow): StoredSchema {
  return {
    id: Number(r.id),
    guid: r.guid,
    schemaType: r.schema_type === 'JSON' ? 'JSON' : 'AVRO',
    fingerprint: r.fingerprint,
    schema: r.schema,
    references: JSON.parse(r.references || '[]') as SchemaReference[],
    ...(r.metadata ? { metadata: JSON.parse(r.metadata) as unknown } : {}),
    ...(r.rule_set ? { ruleSet: JSON.parse(r.rule_set) as unknown } : {}),
  };
}
