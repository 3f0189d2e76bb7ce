import { topicName } from '../../schemas/index.js';
import { ValidationError, consumeEvents, errorMessage, toDateTime64Text, gauge, counter, histogram, systemClock, type Consumer, type IncomingMessage, type ServiceDeps } from '../common/index.js';
import type { AlertSender } from './alerts/index.js';
import { cooldownOf, decideWindow, judge, retrainWindow, type DriftPolicy } from './policy.js';
import type { DetectorName } from './detectors/index.js';
import { createErrorWatch, withErrorChange, type ErrorWatch } from './error-stream.js';
import type { ReferenceProfile } from './profile.js';
import { createPromotionReferences, DEFAULT_SERVED_MS, type PromotionReferenceSettings } from './promotion-reference.js';
import { buildReferenceProfile, type ReferenceRange } from './reference.js';
import { createRetrainRequester, driftReportId } from './retrain.js';
import { createServedReferences } from './served-reference.js';
import { windowStatistics } from './statistics.js';
import { createKnownModels } from './known-models.js';
import { lastDecidedWindow, listReports, loadProfile, profileChains, saveProfile, saveReport, type DriftReport, type ProfileLink } from './store.js';
import type { RetrainRequester } from './types.js';
import { computeWindow } from './window-stats.js';
import { closeMargin, nextClosedWindow } from './windows.js';

export interface DriftSettings {
  topicPrefix: string;
  groupId: string;
  pollIntervalMs: number;
  /** A window closes once events this much newer than its end have arrived. */
  latenessMs: number;
  epsilon: number;
  openRunTimeoutMs: number;
  defaultPolicy: DriftPolicy;
  policies: ReadonlyMap<string, DriftPolicy>;
  /** Rebuild a model's reference when its champion changes (registry-events); absent: references change only through {@link DriftMonitor.buildReference}. */
  promotionReference?: PromotionReferenceSettings;
}

export interface DriftDeps extends ServiceDeps<DriftSettings> {
  alerts?: AlertSender;
  settings: DriftSettings;
  onFatal?(err: Error): void;
}

export interface DriftMonitor {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Decides every window that has closed, for every model; resolves when done. */
  tick(): Promise<void>;
  readonly retrain: RetrainRequester;
  /** Builds and stores a profile; it takes over at its `monitorFrom` (the range's end), at the first window not yet decided. Refuses a range without features. */
  buildReference(range: ReferenceRange): Promise<ReferenceProfile>;
  /** The newest profile of each model: the one its windows are (or, from its `monitorFrom`, will be) compared with. */
  profiles(): ReferenceProfile[];
  reports(model: string, limit: number): Promise<DriftReport[]>;
  policyFor(model: string): DriftPolicy;
}

interface ModelState {
  model: string;
  /** The model's profiles in the order they were built, with where each takes over. */
  chain: readonly ProfileLink[];
  /** The profile in force at `nextStart`: what the next window is compared with. */
  profile: ReferenceProfile;
  /** The newest profile of the chain. */
  newest: ReferenceProfile;
  /** Where the next profile of the chain takes over: windows of `profile` end there at the latest. Null when `profile` is the newest. */
  until: number | null;
  nextStart: number;
  streak: number;
  /** Decision of the last window: an outbound drift alert is firing while it is not `none`. */
  lastDecision: DriftReport['decision'];
  scheduleSlot: number;
  /** `nextStart` when the served traffic of `profile` was last found too little: not counted again before the next window. */
  servedCheckedAt: number;
  /** The champion's error-rate change detector, when the policy has one. */
  errors?: ErrorWatch;
}

/**
 * The drift monitor: for every model with a reference profile, closes
 * tumbling windows in event time, computes their statistics in ClickHouse,
 * applies the model's policy, stores and publishes a report per window, and
 * asks for a retrain when the policy says so. Its progress is the reports
 * table itself, so a restart continues at the first undecided window.
 *
 * A model's profiles take turns (store.ts `ProfileLink`): a new one, built
 * through the API or for a new champion, takes over at its `monitorFrom`; the
 * window that spans that time ends there, and no decided window is redone.
 */
export function createDriftMonitor(deps: DriftDeps): DriftMonitor {
  const { clickhouse, settings, metrics } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ service: 'drift' });
  const states = new Map<string, ModelState>();
  const policyFor = (model: string): DriftPolicy => settings.policies.get(model) ?? settings.defaultPolicy;

  const m = {
    statistic: gauge(metrics, 'driftloop_drift_statistic', 'Latest value of each drift statistic.', ['model', 'feature', 'variant', 'test']),
    drifted: gauge(metrics, 'driftloop_drift_feature_drifted', '1 when the decisive test of the feature drifted in the latest window.', ['model', 'feature', 'variant']),
    share: gauge(metrics, 'driftloop_drift_share', 'Share of features drifted in the latest window.', ['model']),
    rows: gauge(metrics, 'driftloop_drift_window_rows', 'Events in the latest window.', ['model']),
    reports: counter(metrics, 'driftloop_drift_reports_total', 'Windows decided.', ['model', 'decision']),
    requests: counter(metrics, 'driftloop_drift_retrain_requests_total', 'Retrain requests by cause and outcome.', ['model', 'cause', 'status']),
    seconds: histogram(metrics, 'driftloop_drift_window_seconds', 'Time to compute one window in ClickHouse.', ['model']),
    promotions: counter(metrics, 'driftloop_drift_promotion_references_total', 'Champion moves read from registry-events, by what became of them (built, exists, superseded, skipped).', ['model', 'outcome']),
    completions: counter(metrics, 'driftloop_drift_served_references_total', 'New champions\' references completed from their own traffic, by the part that was awaited (predictions, performance).', ['model', 'part']),
  };

  let queue: Promise<unknown> = Promise.resolve();
  /** Runs `fn` after everything queued before it: ticks and profile changes never interleave. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const knownModels = createKnownModels({ clickhouse, clock, inMemory: (model) => states.has(model) });
  const retrain = createRetrainRequester({
    clickhouse,
    bus: deps.bus,
    codec: deps.codec,
    topicPrefix: settings.topicPrefix,
    clock,
    logger: log,
    knowsModel: (model) => knownModels.knows(model),
    cooldownMs: (model) => cooldownOf(policyFor(model)),
    autoRetrain: (model) => policyFor(model).autoRetrain,
    openRunTimeoutMs: settings.openRunTimeoutMs,
    onOutcome: (input, outcome) => {
      m.requests.inc({ model: input.model, cause: input.cause.kind, status: outcome.status });
      if (outcome.status === 'opened') {
        deps.alerts?.send({
          idempotencyKey: outcome.runId,
          status: 'firing',
          labels: { alertname: 'DriftloopRetrainRequested', model: input.model, cause: input.cause.kind, severity: 'info' },
          annotations: { summary: `retrain ${outcome.runId} requested for ${input.model}`, description: input.cause.detail, run_id: outcome.runId, cause_ref: input.cause.ref },
          startsAt: clock.now(),
        });
      }
    },
  });

  /**
   * Brings a model's state up to its chain of profiles: the profile in force
   * at the next window's start, and where the next one takes over. A model
   * seen for the first time resumes after its last decided window.
   */
  async function follow(model: string, links: readonly ProfileLink[]): Promise<void> {
    if (links.length === 0) return;
    const known = states.get(model);
    const resumed = known ? null : await lastDecidedWindow(clickhouse, model);
    const nextStart = Math.max(known?.nextStart ?? resumed?.end ?? -Infinity, links[0]!.from);
    const at = inForceAt(links, nextStart);
    const link = links[at]!;
    const last = links[links.length - 1]!;
    const profile = known?.profile.profileId === link.profileId ? known.profile : await loadProfile(clickhouse, model, link.profileId);
    const newest = last === link ? profile : known?.newest.profileId === last.profileId ? known.newest : await loadProfile(clickhouse, model, last.profileId);
    // Not (completely) stored yet: the next tick looks again.
    if (!profile || !newest) return;
    const same = known ? known.profile.profileId === profile.profileId : resumed?.profileId === profile.profileId;
    const next: ModelState = {
      model, chain: links, profile, newest, until: links[at + 1]?.from ?? null, nextStart,
      // A drifting streak counts windows against one reference.
      streak: same ? (known?.streak ?? resumed?.streak ?? 0) : 0,
      lastDecision: known?.lastDecision ?? resumed?.decision ?? 'none',
      scheduleSlot: known?.scheduleSlot ?? -1,
      servedCheckedAt: known?.servedCheckedAt ?? -Infinity,
      ...(known?.errors ? { errors: known.errors } : {}),
    };
    if (known && !same) log.info({ model, profile_id: profile.profileId, model_version: profile.modelVersion, from: nextStart, previous_profile_id: known.profile.profileId }, 'windows from here are compared with a new reference');
    if (known) Object.assign(known, next);
    else states.set(model, next);
  }

  const followModel = async (model: string): Promise<void> => follow(model, (await profileChains(clickhouse, model)).get(model) ?? []);

  const servedReferences = createServedReferences({
    clickhouse, clock, logger: log,
    thresholds: (model) => ({ minRows: policyFor(model).minWindowRows, minLabeledRows: policyFor(model).minLabeledRows, minServedMs: settings.promotionReference?.servedMs ?? DEFAULT_SERVED_MS }),
  });

  /**
   * Between two windows: completes the profile in force from the traffic its
   * version has served up to the next window's start, when it awaits that and
   * is its model's newest (a later one takes over anyway). The next window is
   * the first compared with the completed profile.
   */
  async function completeServed(state: ModelState): Promise<void> {
    const { profile } = state;
    if (!profile.served?.awaiting || state.until !== null || state.servedCheckedAt === state.nextStart) return;
    const part = profile.served.awaiting;
    const completed = await servedReferences.complete(profile, state.nextStart);
    if (!completed) {
      state.servedCheckedAt = state.nextStart;
      return;
    }
    m.completions.inc({ model: profile.model, part });
    state.profile = completed;
    state.newest = completed;
  }

  const errorWatch = (state: ModelState, name: DetectorName): ErrorWatch => (state.errors ??= createErrorWatch(clickhouse, name));

  async function decideNext(state: ModelState): Promise<boolean> {
    const { profile } = state;
    const policy = policyFor(profile.model);
    const closed = await nextClosedWindow(clickhouse, profile, state.nextStart, policy, settings.latenessMs, state.until);
    if (!closed) return false;
    if (closed.empty) {
      // Nothing between here and where the next profile takes over.
      state.nextStart = closed.end;
      return true;
    }
    const { start } = closed;
    const bounds = { model: profile.model, start, end: closed.end };
    const timer = m.seconds.startTimer({ model: profile.model });
    const rows = await computeWindow(clickhouse, profile, bounds, { epsilon: settings.epsilon });
    timer();
    const windowRows = rows.find((r) => r.section === 'window')?.present ?? 0;
    const judged = judge(windowStatistics(rows, profile), policy, profile);
    const stats = decideWindow(judged, policy, profile, windowRows, state.streak);
    const verdict = policy.errorDetector === 'none' ? stats : withErrorChange(stats, await errorWatch(state, policy.errorDetector).changedIn(profile, start, closed.end), policy.errorDetector);
    const eventId = driftReportId(profile.model, profile.profileId, start, closed.end);
    // Decided in event time: the window closed once events this much newer than its end arrived.
    const decidedAt = closed.end + closeMargin(profile, policy, settings.latenessMs);

    let runId: string | null = null;
    let decision = verdict.decision;
    if (verdict.decision === 'retrain' && verdict.cause) {
      const outcome = await retrain.request({
        model: profile.model,
        cause: { kind: verdict.cause, ref: eventId, detail: verdict.reasons.join('; ') },
        requestedBy: 'drift',
        at: decidedAt,
        ...windowParams(policy, decidedAt),
      });
      if (outcome.status === 'cooldown') {
        decision = 'watch';
        verdict.reasons.push('retrain held back by the cooldown');
      } else if (outcome.status === 'off') {
        decision = 'watch';
        verdict.reasons.push('automatic retraining is off for this model (autoRetrain: false)');
      } else {
        runId = outcome.runId;
        if (outcome.status === 'joined') verdict.reasons.push(`joined open run ${outcome.runId}`);
      }
    }
    const report: DriftReport = {
      event_id: eventId,
      model: profile.model,
      ts: clock.now(),
      model_version: profile.modelVersion,
      profile_id: profile.profileId,
      window_start: start,
      window_end: closed.end,
      window_rows: windowRows,
      dataset_drift: verdict.datasetDrift,
      drift_share: verdict.driftShare,
      features: judged
        .filter((s) => Number.isFinite(s.value))
        .map((s) => ({ feature: s.feature, kind: s.kind, test: s.test, value: s.value, threshold: Number.isFinite(s.threshold) ? s.threshold : 0, p_value: s.pValue !== null && Number.isFinite(s.pValue) ? s.pValue : null, drifted: s.drifted, variant: s.variant, decisive: s.decisive })),
      decision,
      run_id: runId,
      reasons: verdict.reasons,
    };
    const producer = await deps.bus.producer();
    await producer.send(topicName(settings.topicPrefix, 'drift-reports'), [{ key: profile.model, value: await deps.codec.encode('drift-reports', report), timestamp: closed.end }]);
    await saveReport(clickhouse, report, verdict.streak, judged);

    state.nextStart = closed.end;
    state.streak = decision === 'retrain' ? 0 : verdict.streak;
    m.reports.inc({ model: profile.model, decision });
    m.share.set({ model: profile.model }, verdict.driftShare);
    m.rows.set({ model: profile.model }, windowRows);
    for (const s of judged) {
      if (Number.isFinite(s.value)) m.statistic.set({ model: profile.model, feature: s.feature, variant: s.variant, test: s.test }, s.value);
      if (s.decisive) m.drifted.set({ model: profile.model, feature: s.feature, variant: s.variant }, s.drifted ? 1 : 0);
    }
    // One alert per model (its labels are its identity): firing while windows drift, resolved by the first quiet one.
    if (decision !== 'none' || state.lastDecision !== 'none') {
      deps.alerts?.send({
        idempotencyKey: eventId,
        status: decision === 'none' ? 'resolved' : 'firing',
        labels: { alertname: 'DriftloopDrift', model: profile.model, severity: 'warning' },
        annotations: {
          summary: `${profile.model}: ${decision} for window ${new Date(start).toISOString()}..${new Date(closed.end).toISOString()}`,
          description: verdict.reasons.join('; ') || 'no drift',
          decision,
          report_id: eventId,
          ...(runId ? { run_id: runId } : {}),
        },
        startsAt: closed.end,
        ...(decision === 'none' ? { endsAt: closed.end } : {}),
      });
    }
    state.lastDecision = decision;
    log.info({ model: profile.model, report_id: eventId, window_start: start, window_rows: windowRows, decision, run_id: runId, drift_share: verdict.driftShare }, 'window decided');
    return true;
  }

  /** A retrain per slot of the policy's schedule, in event time: the slot of the monitor's progress (its next window's start). */
  async function scheduled(state: ModelState): Promise<void> {
    const policy = policyFor(state.profile.model);
    const interval = policy.scheduleIntervalMs;
    if (interval <= 0 || !Number.isFinite(state.nextStart)) return;
    const slot = Math.floor(state.nextStart / interval);
    if (slot === state.scheduleSlot) return;
    state.scheduleSlot = slot;
    const at = slot * interval;
    await retrain.request({
      model: state.profile.model, cause: { kind: 'schedule', ref: `every-${interval}ms:${slot}`, detail: `scheduled retrain, every ${interval} ms` }, requestedBy: 'drift', at,
      ...windowParams(policy, at),
    });
  }

  /** Records the trainer's terminal run states, which close runs for the one-open-run rule. */
  async function onTrainingResults(messages: IncomingMessage[]): Promise<void> {
    const rows: object[] = [];
    for (const msg of messages) {
      if (!msg.value) continue;
      try {
        const event = await deps.codec.decode('training-results', msg.value);
        if (TERMINAL_STATES.has(String(event.state))) rows.push({ run_id: event.run_id, model: event.model, ts: toDateTime64Text(Number(event.ts)), state: event.state });
      } catch (err) {
        // The trainer owns that topic and its dead letters; a bad event closes nothing.
        log.warn({ topic: msg.topic, partition: msg.partition, offset: msg.offset, err: errorMessage(err) }, 'unreadable training result skipped');
      }
    }
    await clickhouse.insertObjects('retrain_run_states', rows);
  }

  let ticking: Promise<void> | null = null;
  async function tickOnce(): Promise<void> {
    // Only the chains every tick; a profile's grids are read again only when it comes into force.
    for (const [model, links] of await profileChains(clickhouse)) await follow(model, links);
    for (const state of states.values()) {
      await scheduled(state);
      // Bounded per tick so one model's backlog does not starve the others.
      for (let i = 0; i < 100; i++) {
        if (state.until !== null && state.nextStart >= state.until) await follow(state.model, state.chain);
        await completeServed(state);
        if (!(await decideNext(state))) break;
      }
    }
  }
  const tick = (): Promise<void> => {
    ticking ??= serial(tickOnce).finally(() => (ticking = null));
    return ticking;
  };

  /** Stores a profile and follows its model's chain at once, between ticks. */
  const activate = (profile: ReferenceProfile): Promise<void> =>
    serial(async () => {
      await saveProfile(clickhouse, profile);
      await followModel(profile.model);
    });

  const promotions = settings.promotionReference
    ? createPromotionReferences({ clickhouse, clock, logger: log, settings: settings.promotionReference, minRows: (model) => policyFor(model).minWindowRows, activate })
    : null;

  let timer: NodeJS.Timeout | null = null;
  let consumer: Consumer | null = null;
  let promotionConsumer: Consumer | null = null;
  let stopped = false;
  const loop = (): void => {
    timer = setTimeout(() => {
      tick()
        .catch((err) => log.warn({ err: errorMessage(err) }, 'drift tick failed; retrying next interval'))
        .finally(() => !stopped && loop());
    }, settings.pollIntervalMs);
  };

  return {
    retrain,
    policyFor,
    tick,
    profiles: () => [...states.values()].map((s) => s.newest),
    reports: (model, limit) => listReports(clickhouse, model, limit),
    async buildReference(range) {
      const profile = await buildReferenceProfile(clickhouse, range, clock);
      // Stored, it would take its turn in the model's chain and decide windows with nothing to compare.
      if (profile.numeric.length + profile.categorical.length === 0) throw new ValidationError('/from', `no features of ${range.model} between from and to`);
      await activate(profile);
      return profile;
    },
    async start() {
      stopped = false;
      await deps.codec.register(['drift-reports', 'retrain-requests']);
      await serial(async () => {
        for (const [model, links] of await profileChains(clickhouse)) await follow(model, links);
      });
      consumer = await deps.bus.consumer({
        groupId: settings.groupId,
        topics: [topicName(settings.topicPrefix, 'training-results')],
        onBatch: async (messages) => {
          await onTrainingResults(messages);
          const last = new Map<number, number>();
          for (const msg of messages) last.set(msg.partition, Math.max(last.get(msg.partition) ?? -1, msg.offset));
          await consumer?.commit([...last].map(([partition, offset]) => ({ topic: topicName(settings.topicPrefix, 'training-results'), partition, offset: offset + 1 })));
        },
        onError: (err) => log.warn({ err: errorMessage(err) }, 'training-results consumer error'),
      });
      if (promotions && settings.promotionReference) {
        // Read from the topic's beginning by a new group: champion moves already superseded, or already built, are passed over.
        promotionConsumer = await consumeEvents({
          bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix, topic: 'registry-events', groupId: settings.promotionReference.groupId, logger: log,
          handle: async (event) => {
            const outcome = await promotions.onRegistryEvent(event);
            if (outcome !== 'ignored') m.promotions.inc({ model: String(event.model), outcome });
          },
        });
      }
      loop();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await promotionConsumer?.close();
      promotionConsumer = null;
      await consumer?.close();
      await ticking?.catch(() => undefined);
      await queue;
      await deps.alerts?.close();
    },
  };
}

const TERMINAL_STATES = new Set(['done', 'failed', 'cancelled']);

/** The policy's training window for a retrain decided at `at`, as the request's spec overrides (none: the trainer spec's). */
function windowParams(policy: DriftPolicy, at: number): { params?: Record<string, string> } {
  const range = retrainWindow(policy, at);
  return range ? { params: { window_from: new Date(range.from).toISOString(), window_to: new Date(range.to).toISOString() } } : {};
}

/** Index of the link in force at `t`: the last one that has taken over by then (the first, before any has). */
function inForceAt(links: readonly ProfileLink[], t: number): number {
  let at = 0;
  for (let i = 1; i < links.length; i++) if (links[i]!.from <= t) at = i;
  return at;
}
