import { importanceOf, testAccuracyOf, type ClickHouse, type Clock, type Logger } from '../common/index.js';
import { getAlias } from '../registry/index.js';
import { getRun, type SnapshotWindow } from '../trainer/index.js';
import { CHAMPION_ALIAS as CHAMPION } from '../../schemas/index.js';
import type { ReferenceProfile } from './profile.js';
import { buildReferenceProfile, countFeatures, eventTimeAt, rangeText, referenceProfileId, type ReferenceRange } from './reference.js';
import { profileExists } from './store.js';


/** How the monitor follows champion moves (DRIFT_PROMOTION_* in the README). */
export interface PromotionReferenceSettings {
  /** Kafka consumer group registry-events are read with. @default 'driftloop-drift-promotions' */
  groupId: string;
  /**
   * A champion whose training window is unknown (registered by hand, its run
   * gone) gets a reference from the model's features of this much event time
   * before its promotion; 0: it gets none, and windows stay compared with the
   * previous reference. @default 86_400_000
   */
  fallbackMs: number;
  /**
   * Event time a new champion must have served since its promotion before its
   * reference is completed from its own answers (served-reference.ts); the
   * policy's minWindowRows and minLabeledRows apply too. @default 86_400_000
   */
  servedMs?: number;
}

/** {@link PromotionReferenceSettings.servedMs}: a whole daily cycle, as the fallback's. */
export const DEFAULT_SERVED_MS = 86_400_000;

/** What became of one registry event: `built` is the only one that changed anything. */
export type PromotionOutcome = 'ignored' | 'superseded' | 'exists' | 'built' | 'skipped';

export interface PromotionReferenceDeps {
  clickhouse: ClickHouse;
  clock: Clock;
  logger: Logger;
  settings: PromotionReferenceSettings;
  /** Fewest feature events a reference from the traffic before a promotion needs: the model's smallest window that decides. */
  minRows(model: string): number;
  /** Stores the profile and has the monitor follow it. */
  activate(profile: ReferenceProfile): Promise<void>;
}

export interface PromotionReferences {
  /** Handles one decoded registry-events event; idempotent, so a replayed topic changes nothing twice. */
  onRegistryEvent(event: Record<string, unknown>): Promise<PromotionOutcome>;
}

/**
 * Builds the drift reference of each new champion from the data it was
 * trained on: the pinned data window of its training run (`training_runs`),
 * in force from the promotion on. Windows before the promotion stay compared
 * with the previous reference (the monitor cuts the one that spans it short);
 * windows already decided are not redone. The promotion happens at the
 * registry's clock (the event's `ts`); windows are in event time, so the
 * promotion is placed at the model's event time then: the newest of its
 * feature events ingested by that moment (`eventTimeAt`). Live the two
 * agree; in a replay of history they do not, and only the latter is right.
 *
 * The reference has features only at first. The training window's
 * predictions came from the previous champion (or none, for a first model):
 * its scores and classes say nothing about the new model's, so comparing with
 * them would report a recalibrated model as prediction drift, and its
 * accuracy there is not the new model's. The monitor completes the profile
 * from the new champion's own traffic once it has served enough
 * (served-reference.ts); until then prediction drift and the accuracy check
 * of the model are off.
 *
 * Idempotent: the profile id follows from (model, version, promotion time,
 * range), so a replayed event finds its profile stored and builds nothing; an
 * event of a champion moved again since is superseded. A restart mid-build
 * stored nothing (a profile is one insert) and left the event uncommitted, so
 * the event is read again and the build starts over.
 */
export function createPromotionReferences(deps: PromotionReferenceDeps): PromotionReferences {
  const { clickhouse: ch, settings } = deps;

  async function trainingWindow(model: string, runId: string): Promise<{ from: number; to: number; importance: Record<string, number> | null; testAccuracy: number | null } | string> {
    // An empty run id would match every run.
    if (!runId) return 'no training run in its lineage';
    const run = await getRun(ch, runId);
    if (!run || run.model !== model) return `run ${runId} is not in training_runs`;
    if (!run.dataWindow) return `run ${runId} recorded no data window`;
    let window: SnapshotWindow;
    try {
      window = JSON.parse(run.dataWindow) as SnapshotWindow;
    } catch {
      return `run ${runId} recorded an unreadable data window`;
    }
    return window.kind === 'range' && Number.isFinite(window.from) && window.to > window.from
      ? { from: window.from, to: window.to, importance: importanceOf(run.metrics), testAccuracy: testAccuracyOf(run.metrics) }
      : `run ${runId} recorded no time range`;
  }

  /** The range the new champion's reference comes from, or null (said why) when there is none worth building. */
  async function referenceRange(model: string, version: string, runId: string, promotedAt: number, log: Logger): Promise<ReferenceRange | null> {
    const promotion = `champion v${version} promoted at event time ${new Date(promotedAt).toISOString()}`;
    const base = { model, modelVersion: version, monitorFrom: promotedAt, servedByVersion: false };
    const window = await trainingWindow(model, runId);
    let missing: string;
    if (typeof window === 'string') missing = window;
    else if ((await countFeatures(ch, { model, ...window })) > 0) return { ...base, ...window, source: `${promotion}: training window of run ${runId}, ${rangeText(window.from, window.to)}` };
    else missing = `no features left in the training window of run ${runId}`;

    if (settings.fallbackMs <= 0) {
      log.warn({ reason: missing }, 'new champion without a training window and no fallback (DRIFT_PROMOTION_FALLBACK_MS=0): windows stay compared with the previous reference');
      return null;
    }
    const from = promotedAt - settings.fallbackMs;
    const rows = await countFeatures(ch, { model, from, to: promotedAt });
    if (rows < deps.minRows(model)) {
      log.warn({ reason: missing, fallback_from: from, rows, min_rows: deps.minRows(model) }, 'new champion without a training window, and too little traffic before its promotion for a reference: windows stay compared with the previous reference');
      return null;
    }
    log.warn({ reason: missing, fallback_from: from, rows }, 'new champion without a training window: its reference is the traffic before its promotion (DRIFT_PROMOTION_FALLBACK_MS)');
    return { ...base, from, to: promotedAt, source: `${promotion}: no training window, traffic before the promotion, ${rangeText(from, promotedAt)}` };
  }

  return {
    async onRegistryEvent(event) {
      if (event.action !== 'alias_set' || event.alias !== CHAMPION) return 'ignored';
      const model = String(event.model);
      const version = String(event.version);
      // The registry stamps the move with its clock; the reference and its windows live on the events' clock.
      const movedAt = typeof event.ts === 'number' ? event.ts : Date.parse(String(event.ts));
      const lineage = (event.lineage ?? {}) as Record<string, string>;
      const runId = typeof event.run_id === 'string' && event.run_id ? event.run_id : (lineage.run_id ?? '');
      const log = deps.logger.child({ model, version, run_id: runId || null, event_id: event.event_id });

      // The registry records the move before it publishes it: a later move has a later time.
      const current = await getAlias(ch, model, CHAMPION);
      if (current?.version !== version || current.movedAt > movedAt) {
        log.info({ champion: current?.version ?? null }, 'champion moved again since this event: no reference built for it');
        return 'superseded';
      }
      const promotedAt = (await eventTimeAt(ch, model, movedAt)) ?? movedAt;
      const range = await referenceRange(model, version, runId, promotedAt, log);
      if (!range) return 'skipped';
      const profileId = referenceProfileId(range);
      if (await profileExists(ch, model, profileId)) {
        log.info({ profile_id: profileId }, 'reference of this promotion already built');
        return 'exists';
      }
      const profile = await buildReferenceProfile(ch, range, deps.clock);
      if (profile.numeric.length + profile.categorical.length === 0) {
        log.warn({ profile_id: profile.profileId, source: profile.source }, 'the new champion\'s reference range holds events without features: windows stay compared with the previous reference');
        return 'skipped';
      }
      await deps.activate(profile);
      log.info(
        { profile_id: profile.profileId, source: profile.source, monitor_from: profile.monitorFrom, numeric: profile.numeric.length, categorical: profile.categorical.length },
        'reference built for the new champion',
      );
      return 'built';
    },
  };
}
