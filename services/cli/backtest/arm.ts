import type { ClickHouse, Logger } from '../../common/index.js';
import {
  buildReferenceProfile, closeMargin, computeWindow, createErrorWatch, cooldownOf, createServedReferences, decideWindow, driftReportId, judge, nextClosedWindow, retrainGate, retrainWindow, runIdFor, windowStatistics, withErrorChange,
  type DriftPolicy, type ReferenceProfile,
} from '../../drift/index.js';
import { compileModel, type BuiltinModel } from '../../trainer/builtin/index.js';
import type { SnapshotWindow } from '../../trainer/index.js';
import { canaryVerdict } from './canary.js';
import { createPrequential, type Prequential } from './prequential.js';
import { evaluate, trainCandidate, type TrainedCandidate } from './retrain.js';
import { storeAnswers, storeLabels, type ServedAnswer } from './tables.js';
import type { ArmResult, ArmSpec, BacktestOptions, HistoryRecord, RetrainRecord, WindowDecision } from './types.js';

export interface ArmContext {
  clickhouse: ClickHouse;
  logger: Logger;
  options: BacktestOptions;
  /** The arm's own model name: its copy of the history, its answers, windows and snapshots. */
  model: string;
  /** What every arm's snapshots split by (the history's name): all arms split the same rows alike. */
  splitKey: string;
  /** The first champion, trained once for every arm on the records before the replay. */
  first: Pick<TrainedCandidate, 'artifact' | 'from' | 'to' | 'importance' | 'testAccuracy'>;
  /** Called as the replay advances: the share of records served. */
  onProgress?(share: number): void;
}

interface Champion {
  version: number;
  model: BuiltinModel;
  since: number;
}

const WEEK_MS = 7 * 86_400_000;

/**
 * One arm of a backtest, in event time: the champion answers each record as
 * it comes (prequential: scored before its label is known), and the arm's
 * rule decides when to retrain. A policy arm decides every window through the
 * drift monitor's own code (window SQL in ClickHouse, judge, decideWindow,
 * the retrain gate, the reference built on promotion and completed from the
 * champion's answers), and a retrain goes through the trainer's search, the
 * evaluator's gates and the canary's verdict on the records that follow.
 */
export async function runArm(ctx: ArmContext, arm: ArmSpec): Promise<ArmResult> {
  const { clickhouse: ch, options, model } = ctx;
  const records = options.records;
  const wallStarted = performance.now();
  const positive = ctx.first.artifact.positive_class ?? ctx.first.artifact.classes[1]!;
  const prequential: Prequential = createPrequential(options.periodMs ?? WEEK_MS, positive);
  const history: RetrainRecord[] = [];
  const promotions: number[] = [];
  const decisions: WindowDecision[] = [];
  let windowSeconds = 0;
  let retrainSeconds = 0;
  let referenceSeconds = 0;
  let servingSeconds = 0;
  let champion: Champion = { version: 1, model: compileModel(ctx.first.artifact), since: records[options.startIndex]!.ts };
  let cursor = options.startIndex;
  /** Records whose labels are stored: a label is stored once it is known (its record's time plus the delay). */
  let labeled = 0;

  /** The champion answers every record before `t` (event time). */
  const serveUntil = async (t: number): Promise<void> => {
    const from = cursor;
    while (cursor < records.length && records[cursor]!.ts < t) cursor++;
    if (cursor === from) return storeKnownLabels(t);
    const batch = records.slice(from, cursor);
    const probabilities = champion.model.predictProba(batch);
    const classes = champion.model.artifact.classes;
    const answers: ServedAnswer[] = [];
    batch.forEach((r, i) => {
      const p = new Map(classes.map((c, k) => [c, probabilities[i]![k]!]));
      // The gateway's answer: the most probable class, the first in the artifact's order on a tie.
      const best = classes.reduce((a, c) => (p.get(c)! > p.get(a)! ? c : a), classes[0]!);
      prequential.add(r.ts, best, p, r.label);
      answers.push({ ts: r.ts, eventId: r.eventId, version: String(champion.version), prediction: best, score: p.get(positive) ?? 0 });
    });
    const storing = performance.now();
    if (arm.kind === 'policy') await storeAnswers(ch, model, answers);
    await storeKnownLabels(t);
    servingSeconds += (performance.now() - storing) / 1000;
    ctx.onProgress?.((cursor - options.startIndex) / (records.length - options.startIndex));
  };

  /** Stores the labels known before `t`: what a window, a snapshot or a canary may read then. */
  const storeKnownLabels = async (t: number): Promise<void> => {
    const from = labeled;
    while (labeled < cursor && records[labeled]!.ts + options.labelDelayMs < t) labeled++;
    if (labeled > from) await storeLabels(ch, model, records.slice(from, labeled), options.labelDelayMs);
  };

  const retrain = async (at: number, cause: string, window: SnapshotWindow): Promise<TrainedCandidate | null> => {
    const started = performance.now();
    try {
      return await trainCandidate(ch, options.workDir, { model, splitKey: ctx.splitKey }, options.trainer, window, `${at}`);
    } catch (err) {
      history.push({ at, cause, outcome: 'failed', promotedAt: null, detail: (err as Error).message, trainedRows: 0, cpuSeconds: 0 });
      return null;
    } finally {
      retrainSeconds += (performance.now() - started) / 1000;
    }
  };

  const promote = (candidate: TrainedCandidate, at: number): void => {
    champion = { version: champion.version + 1, model: compileModel(candidate.artifact), since: at };
    promotions.push(at);
  };

  if (arm.kind === 'schedule') {
    for (let at = champion.since + arm.everyMs; cursor < records.length; at += arm.everyMs) {
      await serveUntil(at);
      if (cursor >= records.length) break;
      const candidate = await retrain(at, 'schedule', { kind: 'range', from: at - arm.trainingWindowMs, to: at });
      if (!candidate) continue;
      promote(candidate, at);
      history.push({ at, cause: 'schedule', outcome: 'promoted', promotedAt: at, detail: `every ${arm.everyMs} ms`, trainedRows: candidate.trainedRows, cpuSeconds: candidate.cpuSeconds });
    }
  } else if (arm.kind === 'policy') {
    await runPolicy(arm.policy);
  }
  await serveUntil(Infinity);

  async function runPolicy(policy: DriftPolicy): Promise<void> {
    const log = ctx.logger.child({ arm: arm.name });
    // Adaptive thresholds (ten more window queries) only where the policy judges by them: they decide nothing in fixed mode.
    const adaptiveChunks = policy.mode === 'adaptive' ? {} : { adaptiveChunks: 0 };
    const served = createServedReferences({
      clickhouse: ch, logger: log, clock: { now: () => cursor < records.length ? records[cursor]!.ts : records[records.length - 1]!.ts },
      thresholds: () => ({ minRows: policy.minWindowRows, minLabeledRows: policy.minLabeledRows, minServedMs: options.servedMs, ...adaptiveChunks }),
    });
    const referenceOf = async (version: number, range: Pick<TrainedCandidate, 'from' | 'to' | 'importance' | 'testAccuracy'>, at: number): Promise<ReferenceProfile> => {
      const started = performance.now();
      const built = await buildReferenceProfile(ch, { model, modelVersion: String(version), from: range.from, to: range.to, monitorFrom: at, servedByVersion: false, importance: range.importance, testAccuracy: range.testAccuracy, ...adaptiveChunks });
      referenceSeconds += (performance.now() - started) / 1000;
      return built;
    };
    let profile = await referenceOf(1, ctx.first, champion.since);
    /** A promoted version's reference, in force from its promotion (a holder: the canary sets it). */
    const pending: { profile: ReferenceProfile | null } = { profile: null };
    let nextStart = champion.since;
    let streak = 0;
    let lastRequestAt: number | null = null;
    let lastRunId: string | null = null;
    let failedInARow = 0;
    const errors = policy.errorDetector === 'none' ? null : createErrorWatch(ch, policy.errorDetector);
    let canary: { candidate: TrainedCandidate; cause: string; at: number; fromIndex: number } | null = null;
    const canarySize = Math.max(options.canary.minSamples, options.canary.minLabeledSamples);

    /** Ends the canary if its records have been answered and labeled by `t`; a passed candidate is promoted then. */
    const settleCanary = async (t: number): Promise<void> => {
      if (!canary) return;
      const lastIndex = canary.fromIndex + canarySize - 1;
      if (lastIndex >= records.length) return;
      const endsAt = records[lastIndex]!.ts + options.labelDelayMs + 1;
      if (endsAt > t) return;
      await serveUntil(endsAt);
      const rows = records.slice(canary.fromIndex, lastIndex + 1);
      const candidateModel = compileModel(canary.candidate.artifact);
      const verdict = canaryVerdict(champion.model, candidateModel, rows, options.canary);
      const { candidate, cause, at } = canary;
      canary = null;
      if (!verdict.passed) {
        history.push({ at, cause, outcome: 'rolled_back', promotedAt: null, detail: verdict.detail, trainedRows: candidate.trainedRows, cpuSeconds: candidate.cpuSeconds });
        return;
      }
      promote(candidate, endsAt);
      history.push({ at, cause, outcome: 'promoted', promotedAt: endsAt, detail: verdict.detail, trainedRows: candidate.trainedRows, cpuSeconds: candidate.cpuSeconds });
      pending.profile = await referenceOf(champion.version, candidate, endsAt);
    };

    for (;;) {
      if (pending.profile && nextStart >= pending.profile.monitorFrom) {
        profile = pending.profile;
        pending.profile = null;
        streak = 0;
      }
      const completing = performance.now();
      const completed = await served.complete(profile, nextStart);
      referenceSeconds += (performance.now() - completing) / 1000;
      if (completed) profile = completed;
      const closed = await nextClosedWindow(ch, profile, nextStart, policy, options.latenessMs, pending.profile?.monitorFrom ?? null);
      if (!closed) break;
      const decisionAt = closed.end + closeMargin(profile, policy, options.latenessMs);
      await settleCanary(decisionAt);
      // A promotion during the canary cuts this window at the promotion: decide it against the old reference up to there.
      if (pending.profile && closed.end > pending.profile.monitorFrom) continue;
      await serveUntil(decisionAt);
      if (closed.empty) {
        nextStart = closed.end;
        continue;
      }
      const started = performance.now();
      const rows = await computeWindow(ch, profile, { model, start: closed.start, end: closed.end }, { epsilon: options.psiEpsilon ?? 1e-4 });
      const windowRows = rows.find((r) => r.section === 'window')?.present ?? 0;
      const judged = judge(windowStatistics(rows, profile), policy, profile);
      const stats = decideWindow(judged, policy, profile, windowRows, streak);
      const verdict = errors ? withErrorChange(stats, await errors.changedIn(profile, closed.start, closed.end), policy.errorDetector) : stats;
      windowSeconds += (performance.now() - started) / 1000;
      nextStart = closed.end;
      // As the monitor does: a retrain held back by the cooldown, or by autoRetrain off, is a `watch`, and the drifting streak goes on.
      const off = verdict.decision === 'retrain' && !policy.autoRetrain;
      const kind = verdict.decision === 'retrain' && !off ? verdict.cause : null;
      const runId = kind && runIdFor(model, { kind, ref: driftReportId(model, profile.profileId, closed.start, closed.end), detail: '' });
      const gate = kind && runId ? retrainGate(kind, runId, { sameCause: false, openRun: canary ? 'canary' : null, lastRequestAt, lastRunId, failedInARow }, decisionAt, cooldownOf(policy)) : null;
      streak = gate && gate.status !== 'cooldown' ? 0 : verdict.streak;
      const held = off || gate?.status === 'cooldown';
      decisions.push({ start: closed.start, end: closed.end, rows: windowRows, decision: held ? 'watch' : verdict.decision, cause: held ? null : kind });
      if (!kind || gate?.status !== 'opened') continue;
      lastRequestAt = decisionAt;
      lastRunId = runId;
      const range = retrainWindow(policy, decisionAt);
      const candidate = await retrain(decisionAt, kind, range ? { kind: 'range', ...range } : options.trainer.window);
      // As the live requester: a run that trained nothing holds the next cause for a backoff, not a whole cooldown.
      failedInARow = candidate ? 0 : failedInARow + 1;
      if (!candidate) continue;
      const evaluation = await evaluate(ch, { model, splitKey: ctx.splitKey }, candidate, champion.model.artifact, { policy: options.evaluation, holdout: options.holdout }, champion.version);
      if (evaluation.decision === 'reject') {
        history.push({ at: decisionAt, cause: kind, outcome: 'rejected', promotedAt: null, detail: evaluation.reason, trainedRows: candidate.trainedRows, cpuSeconds: candidate.cpuSeconds });
        continue;
      }
      canary = { candidate, cause: kind, at: decisionAt, fromIndex: cursor };
    }
    await settleCanary(Infinity);
  }

  const scored = prequential.result();
  const count = (o: RetrainRecord['outcome']): number => history.filter((h) => h.outcome === o).length;
  return {
    name: arm.name,
    kind: arm.kind,
    records: prequential.count,
    accuracy: scored.accuracy,
    logLoss: scored.logLoss,
    auc: scored.auc,
    overTime: scored.overTime,
    retrains: { requested: history.length, promoted: count('promoted'), rejected: count('rejected'), rolledBack: count('rolled_back'), failed: count('failed') },
    history,
    windows: decisions.length,
    decisions,
    trainingCpuSeconds: history.reduce((s, h) => s + h.cpuSeconds, 0),
    changeDelaysMs: options.changePoints.map((i) => {
      const at = records[i]?.ts;
      const next = at === undefined ? undefined : promotions.find((p) => p >= at);
      return next === undefined || at === undefined ? null : next - at;
    }),
    wallSeconds: (performance.now() - wallStarted) / 1000,
    windowSeconds,
    retrainSeconds,
    referenceSeconds,
    servingSeconds,
  };
}

export type { HistoryRecord };
