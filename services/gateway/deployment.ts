import type { LoadedVersion, VersionCache } from './version-cache.js';
import type { FeatureKinds, ModelPlan } from './types.js';

/**
 * What one model serves at one moment: immutable, swapped whole. A request
 * (or a shadow job) `enter`s the deployment it started with and `leave`s it
 * when done, so a retired deployment releases its versions only after the
 * last request on it finished: a swap never fails or changes a request.
 */
export interface Deployment {
  readonly model: string;
  /** Identity of what is served (versions, rollout, weight): an unchanged plan keeps the deployment. */
  readonly key: string;
  readonly champion: LoadedVersion;
  readonly canary: { version: LoadedVersion; weight: number; rolloutId: string } | null;
  readonly shadow: { version: LoadedVersion; rolloutId: string } | null;
  /** Features of every served version (the champion's typing wins). */
  readonly featureKinds: FeatureKinds;
  enter(): void;
  leave(): void;
  retire(): void;
}

/** Identity of a plan's serving configuration. */
export function planKey(plan: ModelPlan): string {
  const v = (r: { version: string; artifactSha256: string } | null | undefined): string | null => (r ? `${r.version}#${r.artifactSha256}` : null);
  const r = plan.rollout;
  return JSON.stringify([v(plan.champion), r ? [r.rolloutId, r.phase, r.phase === 'canary' ? r.weight : 0, v(r.version)] : null]);
}

function featureKindsOf(versions: readonly LoadedVersion[]): FeatureKinds {
  const kinds = new Map<string, 'numeric' | 'categorical'>();
  for (const v of versions) {
    for (const f of v.scorer.preprocessing.numeric) if (!kinds.has(f.name)) kinds.set(f.name, 'numeric');
    for (const f of v.scorer.preprocessing.categorical) if (!kinds.has(f.name)) kinds.set(f.name, 'categorical');
  }
  return kinds;
}

/** Loads (or reuses) every version `plan` needs; on any failure releases what it took and throws. */
export async function buildDeployment(plan: ModelPlan, cache: VersionCache): Promise<Deployment> {
  if (!plan.champion) throw new Error(`model ${plan.model} has no champion`);
  const held: LoadedVersion[] = [];
  const take = async (record: NonNullable<ModelPlan['champion']>): Promise<LoadedVersion> => {
    const v = await cache.acquire(record);
    held.push(v);
    return v;
  };
  try {
    const champion = await take(plan.champion);
    const r = plan.rollout;
    const candidate = r ? await take(r.version) : null;
    const canary = r?.phase === 'canary' && candidate ? { version: candidate, weight: r.weight, rolloutId: r.rolloutId } : null;
    const shadow = r?.phase === 'shadow' && candidate ? { version: candidate, rolloutId: r.rolloutId } : null;
    let inflight = 0;
    let retired = false;
    const releaseAll = (): void => held.forEach((v) => cache.release(v));
    return {
      model: plan.model,
      key: planKey(plan),
      champion,
      canary,
      shadow,
      featureKinds: featureKindsOf(held),
      enter: () => void inflight++,
      leave() {
        if (--inflight === 0 && retired) releaseAll();
      },
      retire() {
        if (retired) return;
        retired = true;
        if (inflight === 0) releaseAll();
      },
    };
  } catch (err) {
    held.forEach((v) => cache.release(v));
    throw err;
  }
}
