import { ModelUnavailableError, NotFoundError, errorMessage, type Logger } from '../common/index.js';
import { buildDeployment, planKey, type Deployment } from './deployment.js';
import type { ModelPlan } from './types.js';
import type { VersionCache } from './version-cache.js';

/** A model as the gateway sees it: its plan, what it serves now, and the last load failure. */
export interface ModelEntry {
  plan: ModelPlan;
  deployment: Deployment | null;
  /** Why the plan's versions could not be loaded (the previous deployment, if any, still serves). */
  error: string | null;
}

export interface ServingTableDeps {
  readPlans(models: readonly string[]): Promise<ModelPlan[]>;
  cache: VersionCache;
  logger: Logger;
  /** A model's deployment changed (null: it serves nothing now). */
  onSwap?(model: string, previous: Deployment | null, next: Deployment | null): void;
  onLoadFailed?(model: string, err: unknown): void;
}

export interface ServingTable {
  /**
   * Re-reads the plan of `models` (every model when empty) and swaps in new
   * deployments. Refreshes run one at a time; requests made while one runs are
   * merged into the next. Resolves once a refresh covering the call is done.
   */
  refresh(models?: readonly string[]): Promise<void>;
  /** The deployment a request for `model` uses: 404 unknown or without champion, 503 not loaded (yet). */
  lookup(model: string): Deployment;
  /** True once the first full refresh completed. */
  readonly initialized: boolean;
  entries(): ReadonlyMap<string, ModelEntry>;
  /** Retires every deployment. */
  close(): void;
}

/**
 * The gateway's view of what to serve. A new deployment is built completely
 * (artifacts read, verified, compiled) before it replaces the old one in one
 * assignment; a failed build leaves the old one serving.
 */
export function createServingTable(deps: ServingTableDeps): ServingTable {
  const { cache, logger: log } = deps;
  const table = new Map<string, ModelEntry>();
  let initialized = false;
  let pendingAll = false;
  const pendingModels = new Set<string>();
  let queued: Promise<void> | null = null;
  let tail: Promise<void> = Promise.resolve();

  function swap(entry: ModelEntry, next: Deployment | null): void {
    const previous = entry.deployment;
    if (previous === next) return;
    entry.deployment = next;
    previous?.retire();
    deps.onSwap?.(entry.plan.model, previous, next);
  }

  async function applyPlan(plan: ModelPlan): Promise<void> {
    let entry = table.get(plan.model);
    if (!entry) table.set(plan.model, (entry = { plan, deployment: null, error: null }));
    entry.plan = plan;
    if (!plan.champion) {
      entry.error = null;
      return swap(entry, null);
    }
    if (entry.deployment?.key === planKey(plan)) {
      entry.error = null;
      return;
    }
    try {
      const next = await buildDeployment(plan, cache);
      entry.error = null;
      swap(entry, next);
      log.info({ model: plan.model, champion: next.champion.version, canary: next.canary?.version.version, weight: next.canary?.weight, shadow: next.shadow?.version.version }, 'deployment swapped in');
    } catch (err) {
      const message = errorMessage(err);
      if (message !== entry.error) log.error({ model: plan.model, err: message, serving: entry.deployment?.champion.version ?? null }, 'could not load the planned versions; the previous deployment keeps serving');
      entry.error = message;
      deps.onLoadFailed?.(plan.model, err);
    }
  }

  async function run(models: readonly string[]): Promise<void> {
    const plans = await deps.readPlans(models);
    const seen = new Set(plans.map((p) => p.model));
    for (const plan of plans) await applyPlan(plan);
    for (const [model, entry] of table) {
      if ((models.length === 0 || models.includes(model)) && !seen.has(model)) {
        swap(entry, null);
        table.delete(model);
      }
    }
    if (models.length === 0) initialized = true;
  }

  return {
    refresh(models = []) {
      if (models.length === 0) pendingAll = true;
      for (const m of models) pendingModels.add(m);
      if (queued) return queued;
      const next = tail.then(() => {
        queued = null;
        const take = pendingAll ? [] : [...pendingModels];
        pendingAll = false;
        pendingModels.clear();
        return run(take);
      });
      queued = next;
      tail = next.catch(() => undefined);
      return next;
    },
    lookup(model) {
      const entry = table.get(model);
      if (entry?.deployment) return entry.deployment;
      if (!initialized) throw new ModelUnavailableError(model, 'the gateway is still reading what to serve');
      if (!entry) throw new NotFoundError(`model ${model}`);
      if (!entry.plan.champion) throw new NotFoundError(`model ${model}`, 'it has versions but none is champion yet');
      throw new ModelUnavailableError(model, entry.error ? `its champion ${entry.plan.champion.version} failed to load: ${entry.error}` : `its champion ${entry.plan.champion.version} is loading`);
    },
    get initialized() {
      return initialized;
    },
    entries: () => table,
    close() {
      for (const entry of table.values()) swap(entry, null);
      table.clear();
    },
  };
}
