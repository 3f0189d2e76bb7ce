import { ConflictError, NotFoundError, consumeEvents, createSerialQueue, errorMessage, systemClock, type Consumer, type ServiceDeps } from '../common/index.js';
import { getAlias, getVersion } from '../registry/index.js';
import { CHAMPION_ALIAS, PREVIOUS_CHAMPION_ALIAS } from '../../schemas/index.js';
import { createActivities, type RolloutRegistry } from './activities.js';
import { createAnalyser } from './analyse.js';
import type { AnalysisThresholds } from './analysis.js';
import { firstStep, nextAnalysis, phaseOf, weightOf, type RolloutPlan } from './plan.js';
import { assertTransition, isActive } from './states.js';
import { activeRollout, currentRollout, getRollout, listRollouts, nextRevision, rolloutIdOf, type RolloutRecord } from './store.js';
import type { WebhookSender } from './webhooks.js';

export interface RolloutSettings {
  topicPrefix: string;
  groupId: string;
  /** How often due analyses are looked for (the fake clock of a test decides what is due). */
  pollIntervalMs: number;
  plan: RolloutPlan;
  thresholds: AnalysisThresholds;
  /** Failed checks tolerated over a rollout; one more rolls back. */
  failureThreshold: number;
  /** Default of the manual gate before promotion (a version's `manual_gate` tag overrides it). */
  manualGate: boolean;
}

export interface RolloutDeps extends ServiceDeps<RolloutSettings> {
  registry: RolloutRegistry;
  webhooks?: WebhookSender;
}

/** A rollout as the API shows it: the stored record and when its step is analysed next (running only). */
export interface RolloutStatus {
  rollout: RolloutRecord;
  nextAnalysisAt: number | null;
}

export interface RolloutController {
  start(): Promise<void>;
  /** Stops between operations; rollouts stay where they are and resume on the next start. */
  stop(): Promise<void>;
  /** Runs every analysis that is due by the clock, for every running rollout; resolves when done. */
  tick(): Promise<void>;
  /** Skips to promotion (any active rollout, also past the manual gate). */
  promote(model: string, actor: string, reason: string): Promise<RolloutRecord>;
  /** Holds a running rollout at its weight: no analysis, no automatic promotion or rollback. */
  pause(model: string, actor: string, reason: string): Promise<RolloutRecord>;
  /** Continues a paused rollout; its current step starts over (a fresh analysis interval). */
  resume(model: string, actor: string): Promise<RolloutRecord>;
  /**
   * Rolls back the model's active rollout (weight 0, alias unchanged), or,
   * with none active, its last promotion: the champion alias returns to previous-champion.
   */
  rollback(model: string, actor: string, reason: string): Promise<RolloutRecord>;
  /** Passes the manual gate of a rollout awaiting approval: it is promoted. */
  approve(model: string, actor: string, reason: string): Promise<RolloutRecord>;
  /** Requires (or waives) the manual gate for the model's active rollout (its version's `manual_gate` tag). */
  setManualGate(model: string, required: boolean, actor: string): Promise<RolloutRecord>;
  /** The model's active rollout, else its latest one. */
  status(model: string): Promise<RolloutStatus | null>;
  history(filter: { model?: string; limit?: number }): Promise<RolloutRecord[]>;
}

/** "10" is newer than "9"; non-numeric versions compare as text. */
const newer = (a: string, b: string): boolean => (/^\d+$/.test(a) && /^\d+$/.test(b) ? Number(a) > Number(b) : a > b);

/**
 * The rollout controller: an approved registry version becomes a rollout
 * (shadow, then canary steps, each analysed against the champion in
 * ClickHouse), promoted or rolled back by itself or by an operator. Its state
 * is the `rollouts` table alone, so a restarted controller continues every
 * rollout at the same step and deadline. Everything that changes a rollout
 * runs one at a time, in order.
 */
export function createRolloutController(deps: RolloutDeps): RolloutController {
  const { clickhouse: ch, settings } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ service: 'rollout' });
  const act = createActivities({ clickhouse: ch, registry: deps.registry, clock, logger: log, metrics: deps.metrics, sink: { bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix, webhooks: deps.webhooks } });

  /** Consumer events, ticks and operator calls run one at a time, in order: they never interleave. */
  const queue = createSerialQueue();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => queue.run(fn);

  async function promote(r: RolloutRecord, actor: string, reason: string): Promise<RolloutRecord> {
    assertTransition(`rollout ${r.rolloutId}`, r.state, 'promoted');
    await act.moveChampion(r, actor, reason);
    return act.record(r, { state: 'promoted', phase: 'done', weight: 0, reason }, ['promoted', 'promoted']);
  }

  const analyse = createAnalyser({
    clickhouse: ch, activities: act, metrics: deps.metrics, plan: settings.plan, thresholds: settings.thresholds, failureThreshold: settings.failureThreshold,
    manualGate: settings.manualGate, now: () => clock.now(), promote,
  });

  async function rollBack(r: RolloutRecord, reason: string): Promise<RolloutRecord> {
    assertTransition(`rollout ${r.rolloutId}`, r.state, 'rolled_back');
    return act.record(r, { state: 'rolled_back', phase: 'done', weight: 0, reason }, ['rolled_back', 'rolled_back']);
  }

  async function onApproved(model: string, version: string): Promise<void> {
    const rolloutId = rolloutIdOf(model, version);
    const skip = (why: string): void => log.info({ model, version, rollout_id: rolloutId }, `approved version not rolled out: ${why}`);
    if (await getRollout(ch, rolloutId)) return skip('it has a rollout already (a replayed event)');
    const v = await getVersion(ch, model, version);
    if (!v || v.status !== 'approved') return skip(`it is ${v?.status ?? 'unknown to the registry'} now`);
    const champion = await getAlias(ch, model, CHAMPION_ALIAS);
    const now = clock.now();
    const base = { rolloutId, model, version, runId: v.runId, revision: nextRevision(0, now), failedChecks: 0, checks: [], stepStartedAt: now, startedAt: now, updatedAt: now };
    if (!champion) {
      await act.moveChampion({ model, version }, 'rollout', 'first approved version');
      await act.create({ ...base, championVersion: null, phase: 'done', step: 0, weight: 0, state: 'promoted', reason: 'first approved version', steps: [] }, ['promoted', 'promoted']);
      return;
    }
    if (!newer(version, champion.version)) return skip(`the champion is version ${champion.version}`);
    const active = await activeRollout(ch, model);
    if (active && !newer(version, active.version)) return skip(`version ${active.version} is being rolled out`);
    // Supersede: a newer approved version was trained on newer data; the older candidate is stale.
    if (active) await rollBack(active, `superseded by version ${version}`);
    const { plan } = settings;
    const step = firstStep(plan);
    const reason = step === 0 ? 'shadow phase started' : `canary step ${step} started at weight ${weightOf(plan.steps, step)}`;
    await act.create({ ...base, championVersion: champion.version, phase: phaseOf(step), step, weight: weightOf(plan.steps, step), state: 'running', reason, steps: [...plan.steps] }, [phaseOf(step), 'started']);
  }

  /** The candidate was rejected or archived in the registry while it rolled out: it must not keep traffic. */
  async function onWithdrawn(model: string, version: string, action: string, actor: string, reason: string): Promise<void> {
    const r = await getRollout(ch, rolloutIdOf(model, version));
    if (r && isActive(r.state)) await rollBack(r, `version ${version} was ${action} in the registry by ${actor}${reason ? `: ${reason}` : ''}`);
  }

  async function onRegistryEvent(event: Record<string, unknown>): Promise<void> {
    const [model, version, action] = [String(event.model), String(event.version), String(event.action)];
    if (action === 'approved') await onApproved(model, version);
    else if (action === 'rejected' || action === 'archived') await onWithdrawn(model, version, action, String(event.actor ?? ''), String(event.reason ?? ''));
  }

  let consumer: Consumer | null = null;

  async function tickOnce(): Promise<void> {
    for (const listed of await listRollouts(ch, { activeOnly: true })) {
      let r = listed;
      // Catches up every deadline that passed (e.g. while no controller ran), each over its own range.
      for (let i = 0; i < 1000 && r.state === 'running'; i++) {
        const next = nextAnalysis(settings.plan, r.step, r.stepStartedAt, r.updatedAt);
        if (next.at > clock.now()) break;
        r = await analyse(r, next);
      }
    }
  }

  async function mustBeActive(model: string): Promise<RolloutRecord> {
    const r = await activeRollout(ch, model);
    if (!r) throw new NotFoundError(`active rollout of model ${model}`);
    return r;
  }

  let timer: NodeJS.Timeout | null = null;
  let stopped = true;
  const loop = (): void => {
    timer = setTimeout(() => {
      serial(tickOnce)
        .catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'rollout tick failed; retrying next interval'))
        .finally(() => !stopped && loop());
    }, settings.pollIntervalMs);
  };

  return {
    async start() {
      stopped = false;
      await deps.codec.register(['rollout-events']);
      await serial(() => act.publishPending());
      const active = await listRollouts(ch, { activeOnly: true });
      for (const r of active) log.info({ model: r.model, run_id: r.runId, rollout_id: r.rolloutId, state: r.state, step: r.step, step_started_at: r.stepStartedAt }, 'resuming rollout');
      // An event no schema reads changes no rollout (the registry owns that topic); anything else (ClickHouse, Kafka) re-reads the batch: every step is idempotent.
      consumer = await consumeEvents({
        bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix, topic: 'registry-events', groupId: settings.groupId, logger: log,
        handle: (event) => serial(() => onRegistryEvent(event)),
      });
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await consumer?.close();
      consumer = null;
      await queue.idle();
      await deps.webhooks?.close();
    },
    tick: () => serial(tickOnce),
    promote: (model, actor, reason) => serial(async () => promote(await mustBeActive(model), actor, `promoted by ${actor}: ${reason}`)),
    pause: (model, actor, reason) =>
      serial(async () => {
        const r = await mustBeActive(model);
        assertTransition(`rollout ${r.rolloutId}`, r.state, 'paused');
        return act.record(r, { state: 'paused', reason: `paused by ${actor}: ${reason}` }, ['paused', 'paused']);
      }),
    resume: (model, actor) =>
      serial(async () => {
        const r = await mustBeActive(model);
        if (r.state !== 'paused') throw new ConflictError(`rollout ${r.rolloutId} is ${r.state}, not paused`);
        const now = clock.now();
        return act.record(r, { state: 'running', stepStartedAt: now, reason: `resumed by ${actor}: ${phaseOf(r.step)} step ${r.step} starts over` }, [phaseOf(r.step), 'resumed'], now);
      }),
    rollback: (model, actor, reason) =>
      serial(async () => {
        const active = await activeRollout(ch, model);
        if (active) return rollBack(active, `rolled back by ${actor}: ${reason}`);
        const champion = await getAlias(ch, model, CHAMPION_ALIAS);
        if (!champion) throw new NotFoundError(`rollout or champion of model ${model}`);
        const promoted = await getRollout(ch, rolloutIdOf(model, champion.version));
        if (promoted?.state !== 'promoted') throw new ConflictError(`model ${model} has no active rollout, and its champion (version ${champion.version}) was not promoted by one`);
        const previous = await getAlias(ch, model, PREVIOUS_CHAMPION_ALIAS);
        if (!previous || previous.version === champion.version) throw new ConflictError(`model ${model} has no previous champion to return to`);
        await deps.registry.setAlias(model, CHAMPION_ALIAS, previous.version, actor, `rollback of version ${champion.version}: ${reason}`);
        return rollBack(promoted, `champion rolled back to version ${previous.version} by ${actor}: ${reason}`);
      }),
    approve: (model, actor, reason) =>
      serial(async () => {
        const r = await mustBeActive(model);
        if (r.state !== 'awaiting_approval') throw new ConflictError(`rollout ${r.rolloutId} is ${r.state}, not awaiting approval`);
        return promote(r, actor, `approved by ${actor}${reason ? `: ${reason}` : ''}`);
      }),
    setManualGate: (model, required, actor) =>
      serial(async () => {
        const r = await mustBeActive(model);
        await deps.registry.setTags(model, r.version, { manual_gate: String(required) }, actor);
        log.info({ model, rollout_id: r.rolloutId, required, actor }, 'manual gate set');
        return r;
      }),
    async status(model) {
      const r = await currentRollout(ch, model);
      if (!r) return null;
      return { rollout: r, nextAnalysisAt: r.state === 'running' ? nextAnalysis(settings.plan, r.step, r.stepStartedAt, r.updatedAt).at : null };
    },
    history: (filter) => listRollouts(ch, filter),
  };
}
