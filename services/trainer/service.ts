import { ConflictError, NotFoundError, ShutdownError, consumeEvents, counter, errorMessage, systemClock, type Consumer, type ServiceDeps } from '../common/index.js';
import { captureEnvironment, codeVersion } from './environment.js';
import { SlotPool, discoverSlots } from './executor/index.js';
import { reproduceRun, type ReproduceReport } from './reproduce.js';
import { RunCancelled, executeRun, publish, type RunDeps } from './run.js';
import { isTerminal } from './run-state.js';
import { parseSearchSpace } from './search/index.js';
import { resolveSpec, type TrainerCommand, type TrainingSpec } from './spec.js';
import { getRun, listRuns, saveRun, type RunRecord } from './store.js';

const NO_EXTRAS = { trials: 0, bestParams: {}, artifact: null };

export interface TrainerSettings {
  topicPrefix: string;
  groupId: string;
  artifactsDir: string;
  workDir: string;
  /** Builtin trials trained at once. */
  parallelism: number;
  /** External trial slots: `auto` (nvidia-smi), `none`, or GPU indices `0,1`. */
  gpus: string;
  /** External trials at once without a GPU. */
  cpuSlots: number;
  killGraceMs: number;
  /** The external trainers a request may name (`params.trainer`). */
  commands: Readonly<Record<string, TrainerCommand>>;
  /** Python whose version and torch the run environment records. */
  python: string;
  defaultSpec: TrainingSpec;
}

export type TrainerDeps = ServiceDeps<TrainerSettings>;

export interface TrainerService {
  start(): Promise<void>;
  /** Stops between steps; open runs stay where they are and resume on the next start. */
  stop(): Promise<void>;
  /** Resolves once no run is executing or queued. */
  idle(): Promise<void>;
  /** Re-executes a done run from its record and compares the metrics (reproduce.ts). */
  reproduce(runId: string): Promise<ReproduceReport>;
  /**
   * Cancels an open run: the executing one stops (its trials get SIGTERM,
   * then SIGKILL) and ends cancelled; a queued one ends cancelled at once.
   */
  cancel(runId: string, by: string): Promise<RunRecord>;
}

/**
 * The trainer: turns retrain requests into runs, at most one open run per
 * model (a request for a model with an open run, or a replayed request,
 * joins it), and executes runs one at a time. A request is committed once its
 * run is recorded as queued, so a crash never loses one; on start, open runs
 * resume where they were.
 */
export function createTrainerService(deps: TrainerDeps): TrainerService {
  const { clickhouse, settings } = deps;
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ service: 'trainer' });
  const requests = counter(deps.metrics, 'driftloop_trainer_requests_total', 'Retrain requests by outcome.', ['outcome']);
  const runs = counter(deps.metrics, 'driftloop_trainer_runs_total', 'Runs finished, by final state.', ['state']);
  const events = { bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix };
  let abort = new AbortController();
  let chain: Promise<void> = Promise.resolve();
  let consumer: Consumer | null = null;
  let runDeps: RunDeps | null = null;
  let provenance: Pick<RunRecord, 'codeVersion' | 'environment'> = { codeVersion: 'unknown', environment: {} };
  /** The run executing now, and how to cancel it. */
  let current: { runId: string; cancel: AbortController } | null = null;
  /** Runs cancelled before their turn; checked and `current` set with no await between, so a cancel never races a start. */
  const cancelledWhileQueued = new Set<string>();

  const enqueue = (run: RunRecord, spec: TrainingSpec): void => {
    chain = chain.then(async () => {
      if (abort.signal.aborted || !runDeps) return;
      // Cancelled while it waited its turn.
      const latest = (await getRun(clickhouse, run.runId)) ?? run;
      if (isTerminal(latest.state) || cancelledWhileQueued.has(run.runId)) return;
      const cancel = new AbortController();
      current = { runId: run.runId, cancel };
      try {
        const final = await executeRun(runDeps, latest, spec, AbortSignal.any([abort.signal, cancel.signal]));
        if (isTerminal(final.state)) runs.inc({ state: final.state });
      } finally {
        current = null;
      }
    }).catch((err: unknown) => log.error({ err: errorMessage(err), run_id: run.runId }, 'run could not be executed'));
  };

  const specOf = (run: RunRecord): TrainingSpec => {
    const stored = JSON.parse(run.spec) as TrainingSpec;
    return { ...stored, space: parseSearchSpace(stored.space, '/spec/space') };
  };

  async function onRequest(event: Record<string, unknown>): Promise<void> {
    const runId = String(event.run_id);
    const model = String(event.model);
    if (await getRun(clickhouse, runId)) {
      requests.inc({ outcome: 'duplicate' });
      log.info({ model, run_id: runId }, 'retrain request for a run that exists: joined');
      return;
    }
    const [open] = await listRuns(clickhouse, { model, openOnly: true, limit: 1 });
    if (open) {
      requests.inc({ outcome: 'joined' });
      log.info({ model, run_id: runId, open_run: open.runId }, 'model has an open run: the request joins it');
      return;
    }
    const cause = event.cause as RunRecord['cause'];
    const now = clock.now();
    let run: RunRecord = {
      runId, model, revision: now * 1000, state: 'queued', cause, requestedBy: String(event.requested_by ?? ''), spec: '', dataVersion: null, dataWindow: '', candidateVersion: null,
      bestTrial: null, metrics: {}, message: '', ...provenance, createdAt: now, updatedAt: now,
    };
    let spec: TrainingSpec;
    try {
      spec = resolveSpec(settings.defaultSpec, (event.params ?? {}) as Record<string, string>, settings.commands);
    } catch (err) {
      // A bad override fails the run with the reason instead of blocking the topic.
      run = { ...run, spec: JSON.stringify(event.params ?? {}) };
      await saveRun(clickhouse, run);
      run = { ...run, state: 'failed', revision: run.revision + 1, message: `bad request: ${errorMessage(err)}` };
      await saveRun(clickhouse, run);
      await publish(events, run, NO_EXTRAS);
      requests.inc({ outcome: 'invalid' });
      return;
    }
    run = { ...run, spec: JSON.stringify(spec) };
    await saveRun(clickhouse, run);
    await publish(events, run, NO_EXTRAS);
    requests.inc({ outcome: 'queued' });
    log.info({ model, run_id: runId, cause: cause.kind }, 'run queued');
    enqueue(run, spec);
  }

  return {
    async start() {
      abort = new AbortController();
      provenance = { codeVersion: await codeVersion(), environment: await captureEnvironment(settings.python) };
      const slots = await discoverSlots({ gpus: settings.gpus, cpuSlots: settings.cpuSlots });
      log.info({ slots: slots.map((s) => (s.device === 'cuda' ? `${s.id} ${s.name}` : s.id)) }, 'executor slots');
      runDeps = {
        clickhouse, bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix, clock, logger: log, artifactsDir: settings.artifactsDir, workDir: settings.workDir,
        parallelism: settings.parallelism, slots: new SlotPool(slots), killGraceMs: settings.killGraceMs,
      };
      await deps.codec.register(['training-results']);
      for (const run of (await listRuns(clickhouse, { openOnly: true })).reverse()) {
        log.info({ model: run.model, run_id: run.runId, state: run.state }, 'resuming open run');
        enqueue(run, specOf(run));
      }
      // A request no schema reads is skipped (and said so); anything else (ClickHouse, Kafka) re-reads the batch.
      consumer = await consumeEvents({
        bus: deps.bus, codec: deps.codec, topicPrefix: settings.topicPrefix, topic: 'retrain-requests', groupId: settings.groupId, logger: log,
        handle: onRequest,
        onSkipped: () => requests.inc({ outcome: 'unreadable' }),
      });
    },
    async stop() {
      abort.abort();
      await consumer?.close();
      consumer = null;
      await chain;
    },
    async cancel(runId, by) {
      const run = await getRun(clickhouse, runId);
      if (!run) throw new NotFoundError(`run ${runId}`);
      if (isTerminal(run.state)) throw new ConflictError(`run ${runId} is ${run.state} already`);
      log.info({ run_id: runId, by }, 'run cancelled');
      cancelledWhileQueued.add(runId);
      if (current?.runId === runId) {
        const executing = current;
        executing.cancel.abort(new RunCancelled(by));
        // Ends once its trials have stopped: at most the kill grace period.
        while (current === executing) await new Promise((resolve) => setTimeout(resolve, 50));
        return (await getRun(clickhouse, runId))!;
      }
      // Waiting its turn (or open with no trainer executing it): ended here; the queue skips it.
      const cancelled: RunRecord = { ...run, state: 'cancelled', revision: Math.max(run.revision + 1, clock.now() * 1000), updatedAt: clock.now(), message: new RunCancelled(by).message };
      await saveRun(clickhouse, cancelled);
      await publish(events, cancelled, NO_EXTRAS);
      runs.inc({ state: 'cancelled' });
      return cancelled;
    },
    async reproduce(runId) {
      if (!runDeps || abort.signal.aborted) throw new ShutdownError('the trainer is not running');
      return reproduceRun(runDeps, runId, log.child({ reproduce: runId }), abort.signal);
    },
    async idle() {
      let seen: Promise<void>;
      do {
        seen = chain;
        await seen;
      } while (seen !== chain);
    },
  };
}
