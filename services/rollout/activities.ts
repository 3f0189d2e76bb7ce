import { CHAMPION_ALIAS, PREVIOUS_CHAMPION_ALIAS } from '../../schemas/index.js';
import { ConflictError, counter, errorMessage, gauge, type ClickHouse, type Clock, type Logger, type Registry as Metrics } from '../common/index.js';
import { getAlias, getVersion, type Registry } from '../registry/index.js';
import { publishRolloutEvent, rolloutEvent, type EventSink, type RolloutCause, type RolloutEventKind } from './events.js';
import { markPublished, nextRevision, saveRollout, unpublishedRevisions, type RolloutRecord } from './store.js';


/** The registry operations the controller uses (services/registry's createRegistry gives them). */
export type RolloutRegistry = Pick<Registry, 'setAlias' | 'setTags'>;

export interface ActivityDeps {
  clickhouse: ClickHouse;
  registry: RolloutRegistry;
  sink: EventSink;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
}

export interface Activities {
  /**
   * Stores the next revision of `r` with `changes`, then publishes its event
   * (rollout-events and webhooks) when `event` is given. `asOf` is the
   * revision's updated_at: an analysis's deadline, else now.
   */
  record(r: RolloutRecord, changes: Partial<RolloutRecord>, event: RolloutEventKind | null, asOf?: number): Promise<RolloutRecord>;
  /**
   * Publishes the events a crash left stored but unpublished (the newest
   * revision of a rollout at most); how many.
   */
  publishPending(): Promise<number>;
  /** The first revision of a rollout, and its event. */
  create(r: RolloutRecord, event: RolloutEventKind): Promise<RolloutRecord>;
  /** Moves `champion` to the rollout's version and the old champion to previous-champion; a repeat moves nothing. */
  moveChampion(r: Pick<RolloutRecord, 'model' | 'version'>, actor: string, reason: string): Promise<void>;
  /** The candidate's cause from its registry version (cached per version). */
  causeOf(model: string, version: string): Promise<RolloutCause>;
  /** Whether this rollout waits for an operator after its last step: the version's `manual_gate` tag, else the default. */
  gateRequired(r: RolloutRecord, byDefault: boolean): Promise<boolean>;
}

export function createActivities(deps: ActivityDeps): Activities {
  const { clickhouse: ch, registry, clock } = deps;
  const log = deps.logger;
  const causes = new Map<string, RolloutCause>();
  const events = counter(deps.metrics, 'driftloop_rollout_events_total', 'Rollout events published, by phase and state.', ['phase', 'state']);
  const weight = gauge(deps.metrics, 'driftloop_rollout_weight', "Candidate's traffic share of the model's rollout (0 in shadow and once finished).", ['model']);

  const causeOf = async (model: string, version: string): Promise<RolloutCause> => {
    const key = `${model}@${version}`;
    let cause = causes.get(key);
    if (!cause) {
      const v = await getVersion(ch, model, version);
      cause = { kind: v?.cause.kind || 'manual', ref: v?.cause.ref ?? '', detail: v?.lineage.cause_detail ?? '' };
      causes.set(key, cause);
    }
    return cause;
  };

  const emit = async (r: RolloutRecord, [phase, state]: RolloutEventKind): Promise<void> => {
    await publishRolloutEvent(deps.sink, rolloutEvent(r, await causeOf(r.model, r.version), phase, state));
    await markPublished(ch, r.rolloutId, r.revision, clock.now());
    events.inc({ phase, state });
    log.info({ model: r.model, run_id: r.runId, rollout_id: r.rolloutId, version: r.version, phase, state, step: r.step, weight: r.weight, reason: r.reason }, `rollout ${state}`);
  };

  return {
    causeOf,
    async publishPending() {
      const pending = await unpublishedRevisions(ch);
      for (const { record, event } of pending) {
        log.warn({ model: record.model, rollout_id: record.rolloutId, revision: record.revision, phase: event[0], state: event[1] }, 'rollout event stored but not published before a stop: publishing it now');
        await emit(record, event);
      }
      return pending.length;
    },
    async create(r, event) {
      await saveRollout(ch, r, event);
      weight.set({ model: r.model }, r.weight);
      await emit(r, event);
      return r;
    },
    async record(r, changes, event, asOf) {
      const now = clock.now();
      const next: RolloutRecord = { ...r, ...changes, revision: nextRevision(r.revision, now), updatedAt: asOf ?? now };
      await saveRollout(ch, next, event);
      weight.set({ model: next.model }, next.weight);
      if (event) await emit(next, event);
      else log.info({ model: next.model, run_id: next.runId, rollout_id: next.rolloutId, step: next.step, state: next.state, reason: next.reason }, 'rollout step held');
      return next;
    },
    async moveChampion(r, actor, reason) {
      const champion = await getAlias(ch, r.model, CHAMPION_ALIAS);
      if (champion?.version === r.version) return;
      if (champion) {
        try {
          await registry.setAlias(r.model, PREVIOUS_CHAMPION_ALIAS, champion.version, actor, `champion until version ${r.version} was promoted`);
        } catch (err) {
          // An old champion archived meanwhile cannot take an alias; the promotion still goes ahead.
          if (!(err instanceof ConflictError)) throw err;
          log.warn({ model: r.model, version: champion.version, err: errorMessage(err) }, 'old champion not kept as previous-champion');
        }
      }
      await registry.setAlias(r.model, CHAMPION_ALIAS, r.version, actor, reason);
    },
    async gateRequired(r, byDefault) {
      const tag = (await getVersion(ch, r.model, r.version))?.tags.manual_gate;
      return tag === 'true' ? true : tag === 'false' ? false : byDefault;
    },
  };
}
