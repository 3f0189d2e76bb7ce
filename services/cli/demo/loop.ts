import { errorMessage } from '../../common/index.js';
import { loadVersion } from '../../gateway/index.js';
import type { Runtime } from '../runtime.js';
import { evaluationDetail, waitUntil, type DemoApi } from './api.js';
import { counterfactualVersions, scoreCounterfactual, servedAgreement, type Counterfactual } from './counterfactual.js';
import { produceBadMessages, readDeadLetters } from './dead-letters.js';
import type { Elec2Row } from './elec2.js';
import { MODEL, produceHistory, requestFirstModel } from './history.js';
import { automaticRun, loopOutcome, runInTraining } from './outcome.js';
import { createProgress, type ProgressOutput } from './progress.js';
import { startReplay, type Replay } from './replay.js';
import { DEMO_POLICY, EVENT_TIME_HEADER, type DemoPlan } from './settings.js';
import { elapsed, elec2Index, statusLine, streamPlace } from './status.js';
import { describeEvent } from './story.js';
import type { ScheduleComparison } from './schedules.js';
import { summarize, type DemoSummary } from './summary.js';
import type { Timeline } from './timeline.js';

/** Longest the replay waits for one run's training and evaluation. */
const MAX_HOLD_MS = 30_000;

/** A model as GET /drift/models lists it, with its newest reference. */
export interface DriftModel {
  model: string;
  model_version: string;
  profile_id: string;
  features: { numeric: string[]; categorical: string[] };
}

export interface DemoLoopDeps {
  runtime: Pick<Runtime, 'bus' | 'codec' | 'config' | 'url' | 'kafkaBrokers' | 'clickhouse'>;
  api: DemoApi;
  timeline: Timeline;
  plan: DemoPlan;
  elec2: readonly Elec2Row[];
  out: ProgressOutput;
  startedAt: number;
  /** A service's fatal error, once one happened: the demo stops. */
  fatal(): Error | undefined;
  /** Retraining on a timer, backtested on the replayed records up to Elec2 index `replayedTo` (exclusive). */
  compareSchedules?(replayedTo: number): Promise<ScheduleComparison>;
}

/**
 * The demo's story, phase by phase, against running services: history in,
 * a first champion by request, the drift reference the monitor builds for
 * it, then live traffic until the loop has retrained and rolled out by itself
 * (plus a tail). Narrates every control event as it happens and returns what
 * it saw.
 */
export async function playDemoLoop(deps: DemoLoopDeps): Promise<DemoSummary> {
  const { runtime, api, timeline, plan, elec2, out, startedAt } = deps;
  let phase = 'starting';
  let replay: Replay | undefined;
  let firstRunId: string | undefined;
  const progress = createProgress({ out, status: () => statusLine({ startedAt, phase, replay, events: timeline.events, firstRunId }) });
  const note = (line: string): void => progress.note(`[${elapsed(startedAt)}] ${line}`);
  // Windows end in event time: Elec2's own.
  const where = (ms: number): string => streamPlace(elec2Index(ms));
  timeline.onEvent((topic, event) => {
    const line = describeEvent(topic, event, timeline.events['drift-reports'].length, where);
    if (line) note(line);
  });

  try {
    note(`Kafka ${runtime.kafkaBrokers.join(',')} (embedded mock cluster), ClickHouse ${runtime.clickhouse.backend}, API ${runtime.url}`);
    phase = 'history';
    const history = await produceHistory(runtime, elec2.slice(plan.history.from, plan.history.to));
    const badMessages = await produceBadMessages(runtime);
    await waitUntil('the history in ClickHouse', async () => {
      const s = await api.get<{ stored: number; deadLettered: number }>('/ingest/status');
      return s.stored >= 2 * history.rows && s.deadLettered >= badMessages;
    }, 120_000);
    note(`history: ${history.rows.toLocaleString('en-US')} Elec2 records (${streamPlace(plan.history.from)} .. ${streamPlace(plan.history.to - 1)}), features and labels through Kafka, in ClickHouse; ${badMessages} malformed messages sent along`);

    phase = 'first model';
    firstRunId = await requestFirstModel(runtime, history);
    await waitUntil('the gateway to serve version 1', async () => (await fetch(`${runtime.url}/v1/models/${MODEL}`)).ok, 180_000);
    // The monitor builds the champion's reference by itself, from the window v1 was trained on.
    const reference = await waitUntil('the drift reference of version 1', async () => {
      const { models } = await api.get<{ models: DriftModel[] }>('/drift/models');
      return models.find((m) => m.model === MODEL && m.model_version === '1');
    }, 120_000);
    note(`gateway serves ${MODEL} v1; drift reference ${reference.profile_id}, built by the monitor from v1's training window: ${reference.features.numeric.length} numeric + ${reference.features.categorical.length} categorical features`);

    phase = 'replay';
    const replayStarted = Date.now();
    let tailFrom: number | undefined;
    // Training and evaluation take minutes, next to nothing on Elec2's clock: the replay waits for them (at most a while each).
    const holds = new Map<string, number>();
    const held = (): boolean => {
      const run = runInTraining(timeline.events);
      if (!run || deps.fatal()) return false;
      if (!holds.has(run)) holds.set(run, Date.now());
      return Date.now() - holds.get(run)! < MAX_HOLD_MS;
    };
    replay = startReplay({
      gatewayUrl: runtime.url, runtime, rows: elec2.slice(plan.replay.from, plan.replay.to), rowsPerSecond: plan.rowsPerSecond, rowsPerRequest: plan.rowsPerRequest, eventTimeHeader: EVENT_TIME_HEADER, held,
      keepGoing: () => {
        if (deps.fatal()) return false;
        if (tailFrom === undefined && loopOutcome(timeline.events)) tailFrom = replay?.answered ?? 0;
        if (tailFrom !== undefined) return (replay?.answered ?? 0) - tailFrom < plan.tailRows;
        return Date.now() - replayStarted < plan.loopTimeoutMs;
      },
    });
    note(`replay: Elec2 from ${streamPlace(plan.replay.from)} through POST /v1/models/${MODEL}:predict, ${plan.rowsPerRequest} records a request in their own time (header ${EVENT_TIME_HEADER}), up to ${plan.rowsPerSecond}/s (a week of Elec2 a second), waiting while a retrain trains and is evaluated; each label is known half an hour after its record; policy "${DEMO_POLICY}" in Elec2's time`);
    await replay.finished;
    const fatal = deps.fatal();
    if (fatal) throw fatal;

    phase = 'summary';
    const letters = await readDeadLetters(runtime, badMessages);
    const detail = await evaluationDetail(api, MODEL, automaticRun(timeline.events)?.run_id);
    const counterfactuals = await scoreCounterfactuals(api, timeline, elec2, replay, note);
    const schedules = await backtestSchedules(deps, replay, note);
    return summarize({ events: timeline.events, replay, plan, letters, badMessages, startedAt, evaluationDetail: detail, counterfactuals, schedules });
  } finally {
    progress.stop();
  }
}

/**
 * Scores every replayed record offline with the champion the retrain was
 * meant to replace and with the candidate, from their registered artifacts,
 * so the summary can compare versions on the same records. A report extra:
 * a failure is told and the summary goes without it.
 */
async function scoreCounterfactuals(api: DemoApi, timeline: Timeline, elec2: readonly Elec2Row[], replay: Replay, note: (line: string) => void): Promise<Counterfactual[]> {
  const indices = [...new Set(replay.answers.map((a) => a.index))];
  const rows = indices.map((i) => elec2[i]!);
  const scored: Counterfactual[] = [];
  for (const version of counterfactualVersions(timeline.events)) {
    try {
      const counterfactual = await scoreCounterfactual({ api, loadVersion }, MODEL, version, rows);
      const { agreed, compared } = servedAgreement(counterfactual, replay.answers);
      note(`counterfactual: v${version} scored offline from its registered artifact on ${rows.length.toLocaleString('en-US')} replayed records; it agrees with what the gateway served as v${version} on ${agreed.toLocaleString('en-US')} of ${compared.toLocaleString('en-US')}`);
      scored.push(counterfactual);
    } catch (err) {
      note(`counterfactual: v${version} could not be scored offline: ${errorMessage(err)}`);
    }
  }
  return scored;
}

/**
 * What retraining on a timer scores on the replayed records, from the
 * backtest's schedule arms. A report extra: a failure is told and the
 * summary goes without it.
 */
async function backtestSchedules(deps: DemoLoopDeps, replay: Replay, note: (line: string) => void): Promise<ScheduleComparison | undefined> {
  if (!deps.compareSchedules || replay.answered === 0) return undefined;
  try {
    const comparison = await deps.compareSchedules(replay.position);
    note(`backtest: ${comparison.arms.map((a) => a.name).join(', ')} on the ${comparison.records.toLocaleString('en-US')} replayed records in ${comparison.seconds.toFixed(1)} s`);
    return comparison;
  } catch (err) {
    note(`backtest: the schedules could not be compared: ${errorMessage(err)}`);
    return undefined;
  }
}
