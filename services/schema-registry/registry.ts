import { randomUUID } from 'node:crypto';
import { DriftloopError, errorMessage, SchemaRegistryError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { checkCompatibility, type PreviousVersion } from './compatibility.js';
import { registryErrors } from './errors.js';
import { createSchemaParser, type ParsedSchema } from './schema-parser.js';
import { createRegistryState, type RegistryState, type Visibility } from './state.js';
import type { RegistryStore } from './store.js';
import { COMPATIBILITY_LEVELS, DEFAULT_COMPATIBILITY, type CompatibilityLevel, type SchemaReference, type StoredSchema, type SubjectVersion } from './types.js';
import type { VersionId } from './version-id.js';
import { schemaView, versionView, type SchemaVersionView, type SchemaView } from './views.js';
import { createSerialQueue } from '../common/serial.js';

/** The registry's operations, HTTP-free: what the routes call. Errors are `SchemaRegistryError`s with Confluent codes. */
export interface SchemaRegistry {
  /** Registers `body` under `subject`; an identical active version answers its id without a new version. */
  register(subject: string, body: unknown, options?: { normalize?: boolean }): Promise<SchemaVersionView>;
  /** The version of `subject` holding the schema in `body`; 40403 when none does. */
  lookup(subject: string, body: unknown, options?: { normalize?: boolean } & Visibility): SchemaVersionView;
  schemaById(id: number): SchemaView;
  schemaByGuid(guid: string): SchemaView;
  usesOfSchema(id: number, visibility?: Visibility): Array<{ subject: string; version: number }>;
  subjects(options?: Visibility & { deletedOnly?: boolean; prefix?: string }): string[];
  versions(subject: string, options?: Visibility & { deletedOnly?: boolean }): number[];
  version(subject: string, version: VersionId, visibility?: Visibility): SchemaVersionView;
  referencedBy(subject: string, version: VersionId): number[];
  /** The newest version whose schema metadata has all these properties (serdes' `useLatestWithMetadata`); 40403 when none has. */
  latestWithMetadata(subject: string, properties: Record<string, string>, visibility?: Visibility): SchemaVersionView;
  deleteSubject(subject: string, permanent: boolean): Promise<number[]>;
  deleteVersion(subject: string, version: VersionId, permanent: boolean): Promise<number>;
  /** Reasons `body` is incompatible with `version` (or, with `'all'`, the versions its level checks); empty when compatible. */
  testCompatibility(subject: string, version: VersionId | 'all', body: unknown, options?: { normalize?: boolean }): string[];
  /** The subject's own level (40408 when it has none, unless `defaultToGlobal`), or the global one without a subject. */
  getCompatibility(subject?: string, options?: { defaultToGlobal?: boolean }): CompatibilityLevel;
  setCompatibility(subject: string | undefined, level: unknown): Promise<CompatibilityLevel>;
  /** Removes the subject's level (the global one returns to BACKWARD); answers the level it had. */
  deleteCompatibility(subject?: string): Promise<CompatibilityLevel>;
  /** Waits for writes in flight. */
  idle(): Promise<void>;
}

export interface SchemaRegistryDeps {
  store: RegistryStore;
  logger: Logger;
}

/**
 * Loads the registry from its store and serves it from memory. Writes are
 * serialized in this process, and each one reaches ClickHouse before memory
 * changes. One process owns a registry: two processes writing the same
 * tables would hand out the same ids. For several processes, run a Confluent
 * Schema Registry and set SCHEMA_REGISTRY_URL instead.
 */
export async function createSchemaRegistry(deps: SchemaRegistryDeps): Promise<SchemaRegistry> {
  const { store } = deps;
  const log = deps.logger.child({ component: 'schema-registry' });
  const state = createRegistryState(await stored(() => store.load(), 'loading the registry tables (are the ClickHouse migrations applied?)'));
  const queue = createSerialQueue();
  const parsedById = new Map<number, ParsedSchema>();
  const parser = createSchemaParser({ resolveReference: (ref) => referenceTarget(state, ref) });
  log.info({ schemas: state.maxSchemaId(), subjects: state.subjects().length }, 'schema registry loaded');

  const parsedSchema = (id: number): ParsedSchema => {
    let parsed = parsedById.get(id);
    if (!parsed) {
      const s = state.schema(id);
      if (!s) throw registryErrors.schemaNotFound(id);
      parsedById.set(id, (parsed = parser.parse(s)));
    }
    return parsed;
  };
  const previous = (versions: SubjectVersion[]): PreviousVersion[] => versions.map((v) => ({ version: v.version, schema: parsedSchema(v.schemaId) }));
  const level = (subject: string): CompatibilityLevel => state.config(subject) ?? state.config('') ?? DEFAULT_COMPATIBILITY;
  const schemaOf = (v: SubjectVersion): StoredSchema => {
    const s = state.schema(v.schemaId);
    if (!s) throw registryErrors.schemaNotFound(v.schemaId);
    return s;
  };

  /** The row a version id names among the visible ones; 40401 / 40402 as Confluent tells them apart. */
  const find = (subject: string, version: VersionId, vis: Visibility = {}): SubjectVersion => {
    const versions = state.versions(subject, vis);
    const found = version === 'latest' ? versions.at(-1) : versions.find((v) => v.version === version);
    if (found) return found;
    if (versions.length === 0 && !state.hasSubject(subject)) throw registryErrors.subjectNotFound(subject);
    if (version === 'latest') throw registryErrors.subjectNotFound(subject);
    throw registryErrors.versionNotFound(version);
  };

  return {
    async register(subject, body, options = {}) {
      const input = parser.readInput(body);
      return queue.run(async () => {
        const parsed = parser.parse(input, options);
        const active = state.versions(subject);
        const same = active.findLast((v) => schemaOf(v).fingerprint === parsed.fingerprint);
        if (same) return versionView(same, schemaOf(same));

        const messages = checkCompatibility(level(subject), parsed, previous(active));
        if (messages.length > 0) {
          throw registryErrors.incompatible(
            `Schema being registered is incompatible with an earlier schema for subject "${subject}" (compatibility ${level(subject)}), details: ${messages.join('; ')}`,
          );
        }
        let id = state.schemaIdByFingerprint(parsed.fingerprint);
        if (id === undefined) {
          const schema: StoredSchema = { ...parsed.input, id: state.maxSchemaId() + 1, guid: randomUUID(), fingerprint: parsed.fingerprint };
          await stored(() => store.insertSchema(schema), 'storing the schema');
          state.addSchema(schema);
          parsedById.set(schema.id, parsed);
          id = schema.id;
        }
        const all = state.versions(subject, { deleted: true });
        const row: SubjectVersion = { subject, version: (all.at(-1)?.version ?? 0) + 1, schemaId: id, state: 'active' };
        await stored(() => store.putVersions([row]), 'storing the subject version');
        state.applyVersions([row]);
        log.info({ subject, version: row.version, schema_id: id }, 'schema registered');
        return versionView(row, schemaOf(row));
      });
    },

    lookup(subject, body, options = {}) {
      const parsed = parser.parse(parser.readInput(body), options);
      const versions = state.versions(subject, options);
      if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
      // Prefer an active version over a soft-deleted one, the newest of each.
      const matches = versions.filter((v) => schemaOf(v).fingerprint === parsed.fingerprint);
      const match = matches.filter((v) => v.state === 'active').at(-1) ?? matches.at(-1);
      if (!match) throw registryErrors.schemaNotFound();
      return versionView(match, schemaOf(match));
    },

    schemaById(id) {
      const s = state.schema(id);
      if (!s || state.usesOfSchema(id, { deleted: true }).length === 0) throw registryErrors.schemaNotFound(id);
      return schemaView(s);
    },

    schemaByGuid(guid) {
      const s = state.schemaByGuid(guid);
      if (!s || state.usesOfSchema(s.id, { deleted: true }).length === 0) throw registryErrors.schemaNotFound(guid);
      return schemaView(s);
    },

    usesOfSchema(id, vis) {
      if (!state.schema(id)) throw registryErrors.schemaNotFound(id);
      const uses = state.usesOfSchema(id, vis);
      if (uses.length === 0) throw registryErrors.schemaNotFound(id);
      return uses.map((v) => ({ subject: v.subject, version: v.version })).sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
    },

    subjects(options = {}) {
      const names = options.deletedOnly
        ? state.subjects({ deleted: true }).filter((s) => state.versions(s, { deleted: true }).some((v) => v.state === 'deleted'))
        : state.subjects(options);
      return options.prefix ? names.filter((s) => s.startsWith(options.prefix!)) : names;
    },

    versions(subject, options = {}) {
      const all = state.versions(subject, { deleted: options.deleted === true || options.deletedOnly === true });
      const versions = options.deletedOnly ? all.filter((v) => v.state === 'deleted') : all;
      if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
      return versions.map((v) => v.version);
    },

    version(subject, version, vis) {
      const row = find(subject, version, vis);
      return versionView(row, schemaOf(row));
    },

    referencedBy(subject, version) {
      const row = find(subject, version, { deleted: true });
      return state.referencedBy(subject, row.version);
    },

    latestWithMetadata(subject, properties, vis) {
      const versions = state.versions(subject, vis);
      if (versions.length === 0) throw registryErrors.subjectNotFound(subject);
      const matches = (v: SubjectVersion): boolean => {
        const own = (schemaOf(v).metadata as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
        return Object.entries(properties).every(([k, value]) => own[k] === value);
      };
      const row = versions.findLast(matches);
      if (!row) throw registryErrors.schemaNotFound();
      return versionView(row, schemaOf(row));
    },

    deleteSubject(subject, permanent) {
      return queue.run(async () => {
        const all = state.versions(subject, { deleted: true });
        if (all.length === 0) throw registryErrors.subjectNotFound(subject);
        const active = all.filter((v) => v.state === 'active');
        if (permanent && active.length > 0) throw registryErrors.subjectNotSoftDeleted(subject);
        if (!permanent && active.length === 0) throw registryErrors.subjectSoftDeleted(subject);
        const targets = permanent ? all : active;
        for (const v of targets) {
          if (state.referencedBy(subject, v.version).length > 0) throw registryErrors.referenceExists(subject, v.version);
        }
        const rows = targets.map((v): SubjectVersion => ({ ...v, state: permanent ? 'purged' : 'deleted' }));
        await stored(() => store.putVersions(rows), 'deleting the subject');
        state.applyVersions(rows);
        if (permanent && state.config(subject) !== undefined) {
          await stored(() => store.putConfig(subject, null), 'deleting the subject config');
          state.setConfig(subject, null);
        }
        log.info({ subject, versions: rows.map((r) => r.version), permanent }, 'subject deleted');
        return rows.map((r) => r.version);
      });
    },

    deleteVersion(subject, version, permanent) {
      return queue.run(async () => {
        const row = find(subject, version, { deleted: version !== 'latest' });
        if (permanent && row.state === 'active') throw registryErrors.versionNotSoftDeleted(subject, row.version);
        if (!permanent && row.state === 'deleted') throw registryErrors.versionSoftDeleted(subject, row.version);
        if (state.referencedBy(subject, row.version).length > 0) throw registryErrors.referenceExists(subject, row.version);
        const next: SubjectVersion = { ...row, state: permanent ? 'purged' : 'deleted' };
        await stored(() => store.putVersions([next]), 'deleting the version');
        state.applyVersions([next]);
        log.info({ subject, version: row.version, permanent }, 'subject version deleted');
        return row.version;
      });
    },

    testCompatibility(subject, version, body, options = {}) {
      const parsed = parser.parse(parser.readInput(body), options);
      if (version === 'all') return checkCompatibility(level(subject), parsed, previous(state.versions(subject)));
      if (version === 'latest' && state.versions(subject).length === 0) return [];
      const row = find(subject, version);
      // One version named: its direction(s) apply, transitivity has nothing more to check.
      return checkCompatibility(level(subject), parsed, previous([row]));
    },

    getCompatibility(subject, options = {}) {
      if (subject === undefined) return level('');
      const own = state.config(subject);
      if (own) return own;
      if (options.defaultToGlobal) return level('');
      throw registryErrors.subjectConfigNotFound(subject);
    },

    async setCompatibility(subject, value) {
      const upper = typeof value === 'string' ? value.toUpperCase() : value;
      if (!(COMPATIBILITY_LEVELS as readonly unknown[]).includes(upper)) throw registryErrors.invalidCompatibility(value);
      const newLevel = upper as CompatibilityLevel;
      return queue.run(async () => {
        await stored(() => store.putConfig(subject ?? '', newLevel), 'storing the config');
        state.setConfig(subject ?? '', newLevel);
        log.info({ subject: subject ?? '(global)', compatibility: newLevel }, 'compatibility set');
        return newLevel;
      });
    },

    deleteCompatibility(subject) {
      return queue.run(async () => {
        const key = subject ?? '';
        const before = subject === undefined ? level('') : state.config(key);
        if (before === undefined) throw registryErrors.subjectConfigNotFound(key);
        await stored(() => store.putConfig(key, null), 'deleting the config');
        state.setConfig(key, null);
        return before;
      });
    },

    idle: () => queue.idle(),
  };
}

/** The schema a reference names (`version` -1 means latest), soft-deleted versions included as Confluent does. */
function referenceTarget(state: RegistryState, ref: SchemaReference): StoredSchema {
  const versions = state.versions(ref.subject, { deleted: true });
  const row = ref.version === -1 ? versions.at(-1) : versions.find((v) => v.version === ref.version);
  const schema = row && state.schema(row.schemaId);
  if (!schema) throw registryErrors.invalidSchema(`reference "${ref.name}" names ${ref.subject} version ${ref.version}, which does not exist`);
  return schema;
}

/** Runs a store call; a failure becomes Confluent's 50001, with the cause kept. */
async function stored<T>(call: () => Promise<T>, what: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof SchemaRegistryError) throw err;
    const reason = err instanceof DriftloopError ? err.message : errorMessage(err);
    throw registryErrors.store(`${what}: ${reason}`, err);
  }
}
