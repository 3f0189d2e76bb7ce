import type { Scorer, VersionRecord } from './types.js';

/** A model version loaded and ready to score, shared by every deployment that serves it. */
export interface LoadedVersion {
  readonly key: string;
  readonly model: string;
  readonly version: string;
  readonly scorer: Scorer;
}

export interface VersionCache {
  /** The loaded version for `record`, loading it unless a deployment holds it already; one more holder. */
  acquire(record: VersionRecord): Promise<LoadedVersion>;
  /** One holder fewer; the last one closes the scorer. */
  release(version: LoadedVersion): void;
  /** Versions held now. */
  readonly size: number;
}

/** Same version, same bytes, same way of serving it: loaded once. */
const keyOf = (r: VersionRecord): string => JSON.stringify([r.model, r.version, r.artifactSha256, r.artifactFormat, r.artifactUri, r.artifacts]);

/**
 * Loaded versions by identity with a holder count, so moving a version from
 * canary to champion, or a weight change, reuses it instead of loading it
 * again, and a version is closed only once nothing serves it.
 */
export function createVersionCache(deps: { load: (record: VersionRecord) => Promise<Scorer>; onCloseError?: (err: unknown) => void }): VersionCache {
  const entries = new Map<string, { loading: Promise<LoadedVersion>; holders: number }>();
  return {
    async acquire(record) {
      const key = keyOf(record);
      let entry = entries.get(key);
      if (!entry) {
        const loading = deps.load(record).then((scorer) => ({ key, model: record.model, version: record.version, scorer }));
        entry = { loading, holders: 0 };
        entries.set(key, entry);
        // A failed load is forgotten, so the next refresh tries again.
        loading.catch(() => entries.get(key)?.loading === loading && entries.delete(key));
      }
      entry.holders++;
      try {
        return await entry.loading;
      } catch (err) {
        entry.holders--;
        throw err;
      }
    },
    release(version) {
      const entry = entries.get(version.key);
      if (!entry || --entry.holders > 0) return;
      entries.delete(version.key);
      version.scorer.close().catch((err: unknown) => deps.onCloseError?.(err));
    },
    get size() {
      return entries.size;
    },
  };
}
