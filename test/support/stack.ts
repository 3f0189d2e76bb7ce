import { execFileSync, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { topicName } from '../../schemas/index.js';
import { createClickHouse, createEventBus, createEventCodec, createRegistryClient, silentLogger, type EventBus, type EventCodec, type OutgoingMessage } from '../../services/common/index.js';
import { loadElec2, type Elec2Row } from '../../services/cli/demo/elec2.js';
import { followLoop, type Timeline } from '../../services/cli/demo/timeline.js';
import type { Runtime } from '../../services/cli/runtime.js';
import { kafkaBrokers, tempDir, uniqueName, waitFor } from './index.js';
import { CLI_MAIN, processSetup, startDriftloop, type ProcessSetup } from './process.js';

/**
 * The whole stack in one `driftloop up` child process on the embedded
 * engines, driven from outside only through Kafka and HTTP, as the end-to-end
 * tests use it: Elec2 history in, retrain requests, live traffic through the
 * gateway with its labels following, and a kill and restart on the same data.
 */

export const ADMIN_TOKEN = 'e2e-admin';
export const MODEL = 'elec2';

/**
 * Timings shrunk from hours to seconds. Gates and checks are loose where the
 * machine's noise (latency on a box shared with other tests) or a retrain on
 * fresher data (a little worse on the holdout) would decide instead of what a
 * test is about; each test tightens what it checks.
 */
const BASE_ENV: Record<string, string> = {
  LOG_LEVEL: 'info',
  // As the driftloop launcher (services/cli/bin.cjs) sets it.
  UV_THREADPOOL_SIZE: '32',
  DRIFTLOOP_ADMIN_TOKEN: ADMIN_TOKEN,
  INGEST_BATCH_MAX_WAIT_MS: '100',
  // A killed member's partitions move to the restarted one once its session expires.
  INGEST_SESSION_TIMEOUT_MS: '6000',
  TRAINER_SPEC: JSON.stringify({ algorithm: 'mlp', max_trials: '2', 'param.epochs': '5', window_rows: '6000', sampler: 'random' }),
  EVAL_MIN_IMPROVEMENT: '-0.1', EVAL_MARGIN: '0.2', EVAL_SLICE_TOLERANCE: '0.3',
  ROLLOUT_SHADOW_DURATION_MS: '4000', ROLLOUT_ANALYSIS_INTERVAL_MS: '4000', ROLLOUT_POLL_INTERVAL_MS: '200', ROLLOUT_STEPS: '0.2,0.5,1',
  ROLLOUT_MIN_SAMPLES: '30', ROLLOUT_MIN_LABELED_SAMPLES: '20', ROLLOUT_MAX_STEP_EXTENSIONS: '10',
  ROLLOUT_MAX_ACCURACY_DROP: '0.2', ROLLOUT_MAX_PREDICTION_PSI: '2', ROLLOUT_MIN_AGREEMENT: '0.5', ROLLOUT_MAX_LATENCY_MARGIN_MS: '2000',
  GATEWAY_PLAN_REFRESH_MS: '500', GATEWAY_EMIT_BATCH_WAIT_MS: '50',
};

type Event = Record<string, unknown>;
type DataTopic = 'features' | 'labels' | 'retrain-requests';

export interface Stack {
  url: string;
  prefix: string;
  setup: ProcessSetup;
  elec2: readonly Elec2Row[];
  /** The running `driftloop up`; replaced by restart(). */
  child(): ChildProcess;
  /** Kills the process with `signal` and waits for it to exit. */
  kill(signal: NodeJS.Signals): Promise<number | null>;
  /** Starts `driftloop up` again on the same data, groups and port. */
  restart(): Promise<void>;
  get<T>(path: string): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  send(topic: DataTopic, events: Event[], key: (e: Event) => string): Promise<void>;
  /** A manual retrain request for `run_id`, with `params` over the trainer's spec (e.g. window_rows). */
  request(runId: string, ref: string, params?: Record<string, string>): Promise<void>;
  /** Elec2 rows as feature events stamped `ts(i)`, their labels half a second later (`label` may poison them). */
  produceLabeled(rows: readonly Elec2Row[], ts: (i: number) => number, options?: { idPrefix?: string; label?: (r: Elec2Row) => string }): Promise<void>;
  /** Rows the ingest service stored into `table` (its counter). */
  stored(table: string): Promise<number>;
  /** The process's log lines matching `pattern`, the last `lines` of them. */
  logTail(pattern: RegExp, lines?: number): string;
  /** A consumer of every control topic from the beginning, decoding the model's events as any operator's tool would. */
  follow(): Promise<Timeline>;
  /** `driftloop <args> --url <stack>` with the admin token; its stdout. */
  cli(args: readonly string[]): string;
  close(): Promise<void>;
}

/** Starts every service in one child process with `env` over the defaults above; topics, groups and data of its own. */
export async function startStack(name: string, env: Record<string, string> = {}): Promise<Stack> {
  const setup = await processSetup(name, {
    ...BASE_ENV,
    INGEST_GROUP_ID: uniqueName('ingest'), DRIFT_GROUP_ID: uniqueName('drift'), TRAINER_GROUP_ID: uniqueName('trainer'), EVAL_GROUP_ID: uniqueName('eval'),
    REGISTRY_GROUP_ID: uniqueName('registry'), ROLLOUT_GROUP_ID: uniqueName('rollout'), GATEWAY_GROUP_ID: uniqueName('gateway'), DRIFT_PROMOTION_GROUP_ID: uniqueName('promotion'),
    TRAINER_ARTIFACTS_DIR: await tempDir(), TRAINER_WORK_DIR: await tempDir(), REGISTRY_ARTIFACTS_DIR: await tempDir(),
    ...env,
  });
  const { url, topicPrefix: prefix } = setup;
  const logPath = join(await tempDir(), 'driftloop.log');
  const children: ChildProcess[] = [];
  // Appended to across restarts, so a failure's log shows both lives.
  const start = async (): Promise<ChildProcess> => startDriftloop(setup, ['up'], children, { stdout: openSync(logPath, 'a'), timeoutMs: 120_000 });
  let child = await start();

  // Encoding registers (idempotently): a write, so the admin token goes as the Basic password.
  const codec: EventCodec = createEventCodec({ client: createRegistryClient({ url: `${url}/schema-registry`, user: 'e2e', password: ADMIN_TOKEN }), topicPrefix: prefix });
  const bus: EventBus = createEventBus({ client: 'kafkajs', brokers: kafkaBrokers(), logger: silentLogger() });
  const producer = await bus.producer();
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const send = async (topic: DataTopic, events: Event[], key: (e: Event) => string): Promise<void> => {
    const messages: OutgoingMessage[] = [];
    for (const e of events) messages.push({ key: key(e), value: await codec.encode(topic, e) });
    await producer.send(topicName(prefix, topic), messages);
  };
  const byId = (e: Event): string => String(e.event_id);
  const kill = async (signal: NodeJS.Signals): Promise<number | null> => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill(signal);
    return exited;
  };

  return {
    url, prefix, setup, elec2: loadElec2(),
    child: () => child,
    kill,
    restart: async () => {
      child = await start();
    },
    get: async <T>(path: string): Promise<T> => (await (await fetch(`${url}${path}`, { headers })).json()) as T,
    post: async <T>(path: string, body: unknown): Promise<T> => {
      const res = await fetch(`${url}${path}`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    send,
    request: (runId, ref, params = {}) =>
      send('retrain-requests', [{ event_id: uniqueName('req'), model: MODEL, ts: Date.now(), run_id: runId, cause: { kind: 'manual', ref, detail: 'e2e' }, requested_by: 'e2e', params }], () => MODEL),
    produceLabeled: async (rows, ts, options = {}) => {
      const id = (r: Elec2Row): string => `${options.idPrefix ?? 'h'}-${r.index}`;
      await send('features', rows.map((r, i) => ({ event_id: id(r), model: MODEL, ts: ts(i), entity_id: null, numeric: r.numeric, categorical: { day: r.day } })), byId);
      await send('labels', rows.map((r, i) => ({ event_id: id(r), model: MODEL, ts: ts(i) + 500, label: options.label?.(r) ?? r.label })), byId);
    },
    stored: async (table) => Number(new RegExp(`^driftloop_ingest_rows_total\\{table="${table}"\\} (\\d+)`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0),
    follow: () => followLoop({ bus, codec, config: { topicPrefix: prefix } } as unknown as Pick<Runtime, 'bus' | 'codec' | 'config'>, MODEL, silentLogger()),
    logTail: (pattern, lines = 15) => readFileSync(logPath, 'utf8').split('\n').filter((l) => pattern.test(l)).slice(-lines).join('\n'),
    cli: (args) => execFileSync(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args, '--url', url], { env: { ...process.env, DRIFTLOOP_ADMIN_TOKEN: ADMIN_TOKEN } }).toString(),
    close: async () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await bus.close();
    },
  };
}

/**
 * Trains the first model from `rows` of Elec2 sent as labeled history
 * (stamped a second apart, ending now) and waits until the gateway serves it.
 */
export async function firstChampion(stack: Stack, rows: readonly Elec2Row[]): Promise<{ from: number; to: number }> {
  const from = Date.now() - rows.length * 1000;
  await stack.produceLabeled(rows, (i) => from + i * 1000);
  await waitFor(async () => (await stack.stored('features')) >= rows.length && (await stack.stored('labels')) >= rows.length, { message: 'history stored', timeoutMs: 60_000 });
  await stack.request('run-first', 'first');
  await waitFor(async () => (await fetch(`${stack.url}/v1/models/${MODEL}`)).ok, { message: 'the gateway serves a champion', timeoutMs: 180_000, intervalMs: 500 });
  return { from, to: from + rows.length * 1000 };
}

export interface Traffic {
  /** Instances answered. */
  readonly sent: number;
  /** Requests answered with a non-200. */
  readonly failures: number;
  /** Requests that found no server (the stack down). */
  readonly refused: number;
  /** Answers per variant (champion, canary). */
  readonly variants: ReadonlyMap<string, number>;
  /** Instance ids answered, in order. */
  readonly answered: readonly string[];
  stop(): Promise<void>;
}

/**
 * Live traffic: requests of `batch` Elec2 rows from `from` on (cycling over
 * `span` rows) through POST /v1/models/elec2:predict, sticky by entity, each
 * answer's true label produced to Kafka right after. A refused connection (the
 * stack killed) is counted apart; either failure pauses the loop a little.
 */
export function startTraffic(stack: Stack, options: { from: number; span?: number; batch?: number; pauseMs?: number }): Traffic {
  const { from, span = 15_000, batch = 10, pauseMs = 20 } = options;
  let stopped = false;
  const state = { sent: 0, failures: 0, refused: 0, variants: new Map<string, number>(), answered: [] as string[] };
  const loop = (async () => {
    for (let i = 0; !stopped; i++) {
      const rows = Array.from({ length: batch }, (_, k) => stack.elec2[from + ((i * batch + k) % span)]!);
      const instances = rows.map((r, k) => ({ event_id: `live-${i}-${k}`, entity_id: `user-${(i * batch + k) % 997}`, numeric: r.numeric, categorical: { day: r.day } }));
      const res = await fetch(`${stack.url}/v1/models/${MODEL}:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances }) }).catch(() => undefined);
      if (!res) {
        state.refused++;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      if (!res.ok) {
        state.failures++;
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const { predictions } = (await res.json()) as { predictions: { variant: string }[] };
      for (const p of predictions) state.variants.set(p.variant, (state.variants.get(p.variant) ?? 0) + 1);
      state.sent += instances.length;
      state.answered.push(...instances.map((x) => x.event_id));
      await stack.send('labels', rows.map((r, k) => ({ event_id: `live-${i}-${k}`, model: MODEL, ts: Date.now(), label: r.label })), (e) => String(e.event_id));
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  })();
  return {
    get sent() { return state.sent; },
    get failures() { return state.failures; },
    get refused() { return state.refused; },
    get variants() { return state.variants; },
    get answered() { return state.answered; },
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

export interface RolloutView {
  rolloutId: string;
  version: string;
  state: string;
  phase: string;
  step: number;
  weight: number;
  reason: string;
  steps: number[];
}

/** The model's active (else latest) rollout, if any. */
export async function currentRollout(stack: Stack): Promise<RolloutView | undefined> {
  return (await stack.get<{ rollout?: RolloutView }>(`/rollout/models/${MODEL}`)).rollout;
}

/** The version the champion alias points at, if any. */
export async function champion(stack: Stack): Promise<string | undefined> {
  const model = await stack.get<{ aliases?: { alias: string; version: string }[] }>(`/registry/models/${MODEL}`);
  return model.aliases?.find((a) => a.alias === 'champion')?.version;
}

/** Event ids of the live traffic (`live-…`) in each table, as stored. */
export interface StoredLiveEvents {
  features: string[];
  labels: string[];
  /** Predictions of the serving variants (champion, canary): one per answered instance. */
  served: string[];
}

/**
 * Reads the live traffic's event ids from the stack's chDB directory, which
 * only one process may open: call it once the stack's process has exited.
 */
export async function storedLiveEvents(stack: Stack): Promise<StoredLiveEvents> {
  const ch = await createClickHouse({ url: stack.setup.env.CLICKHOUSE_URL!, database: 'driftloop', logger: silentLogger() });
  try {
    const ids = async (table: string, extra = ''): Promise<string[]> =>
      (await ch.query<{ event_id: string }>(`SELECT event_id FROM {db:Identifier}.{table:Identifier} WHERE model = {model:String} AND startsWith(event_id, 'live-') ${extra} ORDER BY event_id`, { table, model: MODEL }))
        .map((r) => r.event_id);
    return { features: await ids('features'), labels: await ids('labels'), served: await ids('predictions', "AND variant IN ('champion', 'canary')") };
  } finally {
    await ch.close();
  }
}
