import type { StoreSnapshot } from './store.js';
import type { CompatibilityLevel, StoredSchema, SubjectVersion } from './types.js';

/** Which versions a read sees: active only, or soft-deleted ones too. */
export interface Visibility {
  deleted?: boolean;
}

/**
 * The registry's contents in memory, indexed for every read the API makes.
 * It mirrors what the store holds: the registry updates it only after a
 * write reached ClickHouse.
 */
export interface RegistryState {
  schema(id: number): StoredSchema | undefined;
  schemaByGuid(guid: string): StoredSchema | undefined;
  schemaIdByFingerprint(fingerprint: string): number | undefined;
  maxSchemaId(): number;
  addSchema(schema: StoredSchema): void;
  /** Applies version rows; purged ones are forgotten. */
  applyVersions(rows: readonly SubjectVersion[]): void;
  /** Versions of a subject, ascending, excluding purged ones; soft-deleted only with `deleted`. */
  versions(subject: string, visibility?: Visibility): SubjectVersion[];
  /** Any row of the subject that is not purged, whatever its state. */
  hasSubject(subject: string): boolean;
  subjects(visibility?: Visibility): string[];
  /** Where a schema id is used. */
  usesOfSchema(id: number, visibility?: Visibility): SubjectVersion[];
  /** Ids of schemas whose references point at this subject version and that an active version still uses. */
  referencedBy(subject: string, version: number): number[];
  config(subject: string): CompatibilityLevel | undefined;
  setConfig(subject: string, level: CompatibilityLevel | null): void;
}

export function createRegistryState(snapshot: StoreSnapshot): RegistryState {
  const schemas = new Map<number, StoredSchema>();
  const byFingerprint = new Map<string, number>();
  const byGuid = new Map<string, number>();
  const subjects = new Map<string, Map<number, SubjectVersion>>();
  const config = new Map(snapshot.config);
  let maxId = 0;

  const visible = (v: SubjectVersion, vis: Visibility = {}): boolean => v.state === 'active' || (v.state === 'deleted' && vis.deleted === true);

  const state: RegistryState = {
    schema: (id) => schemas.get(id),
    schemaByGuid: (guid) => {
      const id = byGuid.get(guid.toLowerCase());
      return id === undefined ? undefined : schemas.get(id);
    },
    schemaIdByFingerprint: (fp) => byFingerprint.get(fp),
    maxSchemaId: () => maxId,
    addSchema(s) {
      schemas.set(s.id, s);
      byFingerprint.set(s.fingerprint, s.id);
      byGuid.set(s.guid.toLowerCase(), s.id);
      maxId = Math.max(maxId, s.id);
    },
    applyVersions(rows) {
      for (const row of rows) {
        let versions = subjects.get(row.subject);
        if (row.state === 'purged') {
          versions?.delete(row.version);
          if (versions?.size === 0) subjects.delete(row.subject);
          continue;
        }
        if (!versions) subjects.set(row.subject, (versions = new Map()));
        versions.set(row.version, { ...row });
      }
    },
    versions(subject, vis) {
      const versions = subjects.get(subject);
      if (!versions) return [];
      return [...versions.values()].filter((v) => visible(v, vis)).sort((a, b) => a.version - b.version);
    },
    hasSubject: (subject) => (subjects.get(subject)?.size ?? 0) > 0,
    subjects(vis) {
      return [...subjects.keys()].filter((s) => state.versions(s, vis).length > 0).sort();
    },
    usesOfSchema(id, vis) {
      return [...subjects.values()].flatMap((versions) => [...versions.values()].filter((v) => v.schemaId === id && visible(v, vis)));
    },
    referencedBy(subject, version) {
      const ids = new Set<number>();
      for (const s of schemas.values()) {
        if (!s.references.some((r) => r.subject === subject && r.version === version)) continue;
        if (state.usesOfSchema(s.id).length > 0) ids.add(s.id);
      }
      return [...ids].sort((a, b) => a - b);
    },
    config: (subject) => config.get(subject),
    setConfig(subject, level) {
      if (level === null) config.delete(subject);
      else config.set(subject, level);
    },
  };

  for (const s of snapshot.schemas) state.addSchema(s);
  state.applyVersions(snapshot.versions);
  return state;
}
