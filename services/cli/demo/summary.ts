import { answeredBy, type Counterfactual } from './counterfactual.js';
import type { DeadLetter } from './dead-letters.js';
import { accuracyOf, rollingAccuracy, type AccuracyPoint } from './prequential.js';
import { loopOutcome, automaticRun, retrainTally, type LoopOutcome, type RetrainTally } from './outcome.js';
import type { ScheduleComparison } from './schedules.js';
import type { Answer, Replay } from './replay.js';
import { DEMO_POLICY, VICTORIA_JOINS_INDEX, type DemoPlan } from './settings.js';
import { featureDrift, percent, testText, type FeatureDrift } from './story.js';
import { elec2Index, streamPlace } from './status.js';
import type { EvaluationEvent, LoopEvents } from './timeline.js';

export interface WindowSummary {
  number: number;
  /** First and last Elec2 record of the window (by the replay's clock). */
  from: number;
  to: number;
  rows: number;
  decision: string;
  runId: string | null;
  driftShare: number;
  features: FeatureDrift[];
}

/** A point of the loop's life placed on the stream: when it happened and which record was being replayed. */
export interface Marker {
  label: string;
  at: number;
  index: number;
}

export interface RolloutStep {
  at: number;
  index: number;
  version: string;
  phase: string;
  weight: number;
  state: string;
  checks: string;
}

export interface AccuracyFigure {
  label: string;
  accuracy: number;
  count: number;
  /** Another version scored offline on exactly these records, when it was. */
  counterfactual?: { version: string; accuracy: number };
}

/** What the evaluator's API adds to the evaluation event: the holdout and the confidence intervals. */
export interface EvaluationDetail {
  holdout: string;
  candidateCi: Record<string, { low: number; high: number }>;
  championCi: Record<string, { low: number; high: number }>;
}

/** Everything the summary lines and the report show, computed once from what the demo saw. */
export interface DemoSummary {
  mode: DemoPlan['mode'];
  plan: DemoPlan;
  seconds: number;
  finishedAt: number;
  replay: { from: number; to: number; answered: number; failures: number; lastError: string };
  windows: WindowSummary[];
  firstDrift: WindowSummary | null;
  retrain: (Marker & { runId: string; cause: string; by: string }) | null;
  evaluation: EvaluationEvent | null;
  evaluationDetail: EvaluationDetail | null;
  markers: Marker[];
  rollout: RolloutStep[];
  outcome: LoopOutcome | null;
  finalChampion: string | null;
  accuracy: AccuracyFigure[];
  /** Every automatic retrain of the replay, by how it ended. */
  retrains: RetrainTally;
  /** The loop's served accuracy over the whole replay, beside retraining on a timer on the same records. */
  versusSchedules: { served: number; records: number; schedules: ScheduleComparison } | null;
  rolling: AccuracyPoint[];
  /** Rolling accuracy per version, to tell champion and candidate apart during the canary. */
  rollingByVersion: { version: string; points: AccuracyPoint[] }[];
  /** After the loop ended, the rolling accuracy the version it replaced (or the candidate it turned down) would have had. */
  rollingCounterfactual: { name: string; points: AccuracyPoint[] } | null;
  deadLetters: DeadLetter[];
  deadLettersSent: number;
  /** The summary as printed. */
  text: string;
}

export interface SummaryInput {
  events: LoopEvents;
  replay: Replay;
  plan: DemoPlan;
  letters: DeadLetter[];
  badMessages: number;
  startedAt: number;
  evaluationDetail: EvaluationDetail | null;
  /** Versions scored offline on the replayed records, for comparisons on the same records. */
  counterfactuals?: readonly Counterfactual[];
  /** Retraining on a timer, backtested on the replayed records. */
  schedules?: ScheduleComparison;
}

/** Window and spacing of the per-version rolling accuracy lines. */
const VERSION_WINDOW = 200;
const VERSION_EVERY = 24;

const ENDED: Record<LoopOutcome['kind'], { until: string; after: string; alternative: string }> = {
  promoted: { until: 'until the retrain is promoted', after: 'after its promotion', alternative: 'had it stayed' },
  rolled_back: { until: 'until the retrain is rolled back', after: 'after the rollback', alternative: 'had it been kept' },
  rejected: { until: 'until the candidate is rejected', after: 'after the rejection', alternative: 'had it been promoted' },
  failed: { until: 'until the retrain failed', after: 'after the failed retrain', alternative: 'had it been promoted' },
};

export function summarize(input: SummaryInput): DemoSummary {
  const { events, replay } = input;
  // Where the replay was when a service acted (processing time: registry and rollout events, the evaluation).
  const place = (at: number): number => replay.positionAt(at);
  const windows = events['drift-reports'].map((r, i): WindowSummary => ({
    number: i + 1, from: elec2Index(r.window_start), to: elec2Index(r.window_end) - 1, rows: r.window_rows, decision: r.decision, runId: r.run_id, driftShare: r.drift_share, features: featureDrift(r),
  }));
  const request = automaticRun(events);
  const runId = request?.run_id;
  const evaluation = events.evaluations.find((e) => e.run_id === runId) ?? null;
  const outcome = loopOutcome(events);
  const markers: Marker[] = [];
  const mark = (label: string, at: number | undefined): void => void (at !== undefined && markers.push({ label, at, index: place(at) }));
  // A retrain request carries the event time of the window that asked for it.
  if (request) markers.push({ label: 'retrain requested', at: request.ts, index: elec2Index(request.ts) });
  mark('registered', events['registry-events'].find((e) => e.run_id === runId && e.action === 'registered')?.ts);
  if (outcome) mark(outcome.kind === 'promoted' ? 'promoted' : outcome.kind.replace('_', ' '), outcome.at);

  const rollout = events['rollout-events'].filter((e) => e.run_id === runId).map((e): RolloutStep => ({
    at: e.ts, index: place(e.ts), version: e.version, phase: e.phase, weight: e.weight, state: e.state,
    checks: e.checks.map((c) => `${c.name} ${c.passed ? 'ok' : 'FAILED'}`).join(', '),
  }));
  const champions = events['registry-events'].filter((e) => e.action === 'alias_set' && e.alias === 'champion');
  const answers = replay.answers;
  const endedAt = outcome?.at ?? Number.POSITIVE_INFINITY;
  const ended = ENDED[outcome?.kind ?? 'promoted'];
  const firstVersion = champions[0]?.version ?? '1';
  const counterfactualOf = (version: string | null | undefined): Counterfactual | undefined => input.counterfactuals?.find((c) => c.version === version);
  // The tail after the loop ended, and who answered it instead of whom: the old champion's counterfactual after a promotion, the candidate's otherwise.
  const tailVersion = outcome?.kind === 'promoted' ? outcome.version : firstVersion;
  const tailAlternative = counterfactualOf(outcome?.kind === 'promoted' ? firstVersion : outcome?.version);
  const figure = (label: string, filter: (a: Answer) => boolean, versus?: Counterfactual): AccuracyFigure => {
    const chosen = answers.filter(filter);
    const alternative = versus ? answeredBy(versus, chosen) : null;
    return { label, ...accuracyOf(chosen, () => true), ...(versus && alternative && chosen.length ? { counterfactual: { version: versus.version, accuracy: accuracyOf(alternative, () => true).accuracy } } : {}) };
  };
  const tail = answers.filter((a) => a.at >= endedAt);
  const tailAnswers = tailAlternative && outcome?.version && tailAlternative.version !== tailVersion ? answeredBy(tailAlternative, tail) : null;
  const accuracy = [
    figure(`v${firstVersion} before Victoria joins (< ${streamPlace(VICTORIA_JOINS_INDEX)})`, (a) => a.version === firstVersion && a.index < VICTORIA_JOINS_INDEX),
    figure(`v${firstVersion} after, ${ended.until}`, (a) => a.version === firstVersion && a.index >= VICTORIA_JOINS_INDEX && a.at < endedAt),
    ...(outcome?.version ? [figure(`v${outcome.version} as canary`, (a) => a.version === outcome.version && a.variant === 'canary', counterfactualOf(firstVersion))] : []),
    ...(outcome ? [figure(`v${tailVersion} ${ended.after}`, (a) => a.at >= endedAt, tailAnswers ? tailAlternative : undefined)] : []),
  ].filter((f) => f.count > 0);
  const versions = [...new Set(answers.map((a) => a.version))];
  const summary: DemoSummary = {
    mode: input.plan.mode,
    plan: input.plan,
    seconds: (Date.now() - input.startedAt) / 1000,
    finishedAt: Date.now(),
    replay: { from: input.plan.replay.from, to: replay.position, answered: replay.answered, failures: replay.failures, lastError: replay.lastError },
    windows,
    firstDrift: windows.find((w) => w.decision !== 'none') ?? null,
    retrain: request ? { label: 'retrain requested', at: request.ts, index: elec2Index(request.ts), runId: request.run_id, cause: `${request.cause.kind}: ${request.cause.detail}`, by: request.requested_by === 'drift' ? 'the drift monitor' : request.requested_by } : null,
    evaluation,
    evaluationDetail: input.evaluationDetail,
    markers,
    rollout,
    outcome,
    finalChampion: champions.at(-1)?.version ?? null,
    accuracy,
    retrains: retrainTally(events, answers.reduce((last, a) => Math.max(last, a.at), 0)),
    versusSchedules: input.schedules ? { served: accuracyOf(answers, () => true).accuracy, records: answers.length, schedules: input.schedules } : null,
    rolling: rollingAccuracy(answers),
    rollingByVersion: versions.map((version) => ({ version, points: rollingAccuracy(answers.filter((a) => a.version === version), VERSION_WINDOW, VERSION_EVERY) })),
    rollingCounterfactual: tailAnswers?.length ? { name: `v${tailAlternative!.version} ${ended.alternative}`, points: rollingAccuracy(tailAnswers, VERSION_WINDOW, VERSION_EVERY) } : null,
    deadLetters: input.letters,
    deadLettersSent: input.badMessages,
    text: '',
  };
  summary.text = summaryText(summary);
  return summary;
}

/** "1 week", "2 weeks", "36 hours". */
export function windowLength(ms: number): string {
  const [unit, size] = ms % 604_800_000 === 0 ? ['week', 604_800_000] : ms % 86_400_000 === 0 ? ['day', 86_400_000] : ['hour', 3_600_000];
  const n = Math.round(ms / size);
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

const fixed = (x: number | undefined, digits = 4): string => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits));

/** The plain-text summary printed at the end of the demo. */
export function summaryText(s: DemoSummary): string {
  const lines: string[] = [`== driftloop demo summary (${s.mode}, ${s.seconds.toFixed(1)} s) ==`];
  lines.push(`replay: ${s.replay.answered.toLocaleString('en-US')} Elec2 records answered by the gateway, ${streamPlace(s.replay.from)} .. ${streamPlace(s.replay.to - 1)}, ${s.replay.failures} failed${s.replay.lastError ? ` (last error: ${s.replay.lastError})` : ''}`);
  const decisions = (d: string): number => s.windows.filter((w) => w.decision === d).length;
  lines.push(`windows: ${s.windows.length} drift windows of ${windowLength(s.plan.windowMs)} of Elec2's time decided: ${decisions('none')} none, ${decisions('watch')} watch, ${decisions('retrain')} retrain`);
  if (s.firstDrift) {
    const drifted = s.firstDrift.features.filter((f) => f.drifted).map((f) => `${f.feature} (${testText(f)}, psi ${fixed(f.psi ?? undefined, 2)})`);
    lines.push(`drift detected: window ${s.firstDrift.number} (${streamPlace(s.firstDrift.from)} .. ${streamPlace(s.firstDrift.to)}, share ${fixed(s.firstDrift.driftShare, 2)}) on ${drifted.join(', ')}`);
  } else lines.push('drift detected: none');
  lines.push(s.retrain ? `retrain: run ${s.retrain.runId} requested by ${s.retrain.by} at ${streamPlace(s.retrain.index)} (${s.retrain.cause.slice(0, 200)})` : 'retrain: none requested');
  if (s.evaluation) {
    const e = s.evaluation;
    const metrics = ['accuracy', 'auc', 'log_loss'].map((m) => `${m} ${fixed(e.candidate_metrics[m])} vs ${fixed(e.champion_metrics[m])}`).join(', ');
    const holdout = s.evaluationDetail ? ` on ${s.evaluationDetail.holdout}` : '';
    lines.push(`evaluation: ${e.decision}${holdout}; candidate vs champion v${e.champion_version ?? '-'}: ${metrics}; gates ${e.gates.filter((g) => g.passed).length}/${e.gates.length} passed`);
    if (e.decision !== 'register') lines.push(`  reason: ${e.reason}`);
  }
  const step = (r: RolloutStep): string => (r.phase === 'canary' ? `canary ${percent(r.weight)}` : r.phase);
  const ends = s.rollout.filter((r) => r.state !== 'started');
  if (ends.length) lines.push(`rollout v${s.rollout[0]!.version}: ${ends.map((r) => (r.state === 'passed' || r.state === 'failed' ? `${step(r)} ${r.state}` : r.state.replace('_', ' '))).join(' -> ')}`);
  lines.push(`outcome: ${s.outcome ? outcomeText(s.outcome) : 'the loop did not finish'}`);
  lines.push(`final champion: v${s.finalChampion ?? '-'}`);
  const t = s.retrains;
  lines.push(`retrains: ${t.requested} requested by policy "${DEMO_POLICY}" in Elec2's time: ${t.promoted} promoted, ${t.rejected} rejected, ${t.rolledBack} rolled back, ${t.failed} failed${t.open ? `, ${t.open} still going` : ''}`);
  if (s.versusSchedules) {
    const v = s.versusSchedules;
    const arms = v.schedules.arms.map((a) => `${a.name} ${fixed(a.accuracy, 3)}${a.retrains ? ` (${a.retrains} retrains)` : ''}`).join('; ');
    lines.push(`versus a schedule: the loop served ${fixed(v.served, 3)} on ${v.records.toLocaleString('en-US')} records with ${t.promoted} promoted; on the same ${v.schedules.records.toLocaleString('en-US')} records, backtested with the same trainer: ${arms}`);
  }
  lines.push('prequential accuracy (served answers vs their labels):');
  for (const a of s.accuracy) {
    const versus = a.counterfactual ? ` (v${a.counterfactual.version} on the same records: ${fixed(a.counterfactual.accuracy, 3)})` : '';
    lines.push(`  ${a.label}: ${fixed(a.accuracy, 3)} on ${a.count.toLocaleString('en-US')} records${versus}`);
  }
  if (s.deadLettersSent) lines.push(`dead letters: ${s.deadLetters.length} of ${s.deadLettersSent} malformed messages read back from the DLQ: ${s.deadLetters.map((l) => `${l.origin} ${l.code}`).join('; ')}`);
  return lines.join('\n');
}

/** "promoted v2", "rolled_back v2: <why>", "rejected (run run-…): <gates>": the reason without a repeat of the kind. */
function outcomeText(o: LoopOutcome): string {
  const what = o.version ? ` v${o.version}` : ` (run ${o.runId})`;
  return o.kind === 'promoted' ? `${o.kind}${what}` : `${o.kind}${what}: ${o.reason.replace(`${o.kind}: `, '')}`;
}
