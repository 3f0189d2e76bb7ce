import { ConflictError, type ClickHouse, type Clock } from '../common/index.js';
import { loadActiveProfiles } from './store.js';

export interface KnownModelsOptions {
  clickhouse: ClickHouse;
  clock: Clock;
  /** Models the monitor holds in memory (a reference in force): known without a query. */
  inMemory(model: string): boolean;
  /**
   * How long "unknown" is remembered (processing time: it only spares
   * ClickHouse a flood of lookups for names that do not exist). @default 10_000
   */
  unknownTtlMs?: number;
  /** Most names remembered of each kind; the oldest are forgotten first. @default 10_000 */
  capacity?: number;
}

export interface KnownModels {
  /** Whether the monitor can act for the model: it has a reference profile or feature events. */
  knows(model: string): Promise<boolean>;
}

/**
 * Which models the drift monitor can retrain: those it holds a reference for,
 * and those whose feature events have reached ClickHouse (a run trains on
 * them; no reference is needed). Answers are cached: a known model stays
 * known, an unknown one is asked again after `unknownTtlMs`.
 */
export function createKnownModels(options: KnownModelsOptions): KnownModels {
  const { clickhouse, clock, unknownTtlMs = 10_000, capacity = 10_000 } = options;
  const known = new Set<string>();
  const unknownUntil = new Map<string, number>();
  const bounded = <K>(collection: Set<K> | Map<K, unknown>): void => {
    while (collection.size > capacity) collection.delete(collection.keys().next().value as K);
  };

  async function lookUp(model: string): Promise<boolean> {
    const events = await clickhouse.query('SELECT 1 FROM {db:Identifier}.features WHERE model = {model:String} LIMIT 1', { model });
    return events.length > 0 || (await loadActiveProfiles(clickhouse, model)).length > 0;
  }

  return {
    async knows(model) {
      if (known.has(model) || options.inMemory(model)) return true;
      const until = unknownUntil.get(model);
      if (until !== undefined && until > clock.now()) return false;
      const found = await lookUp(model);
      if (found) {
        unknownUntil.delete(model);
        known.add(model);
        bounded(known);
      } else {
        unknownUntil.delete(model);
        unknownUntil.set(model, clock.now() + unknownTtlMs);
        bounded(unknownUntil);
      }
      return found;
    },
  };
}

/** The answer for models the monitor cannot act for: what is missing, and how to provide it. */
export function unknownModelsError(models: readonly string[]): ConflictError {
  const named = models.slice(0, 5).map((m) => JSON.stringify(m)).join(', ');
  const more = models.length > 5 ? ` and ${models.length - 5} more` : '';
  const subject = models.length === 1 ? `model ${named} has` : `models ${named}${more} have`;
  const path = models.length === 1 ? `/drift/models/${models[0]}/reference` : '/drift/models/<model>/reference';
  return new ConflictError(
    `${subject} no feature events in ClickHouse and no reference profile, so there is nothing to retrain on yet: send its feature events (the features topic, under TOPIC_PREFIX), or build a reference with POST ${path}`,
  );
}
