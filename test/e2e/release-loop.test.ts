import { execFileSync, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { topicName } from '../../schemas/index.js';
import { createEventBus, createEventCodec, createRegistryClient, silentLogger, type EventBus, type EventCodec, type OutgoingMessage } from '../../services/common/index.js';
import { loadElec2, type Elec2Row } from '../../services/cli/demo/elec2.js';
import { kafkaBrokers, tempDir, uniqueName, waitFor } from '../support/index.js';
import { CLI_MAIN, processSetup, startDriftloop } from '../support/process.js';

const ADMIN = 'e2e-admin';

/**
 * The release half of the loop, every service in one `driftloop up` process
 * on the embedded engines, driven only through Kafka and HTTP: a first model
 * trained from ingested events becomes champion, the gateway serves it, live
 * traffic and its labels flow back through Kafka, a retrain's candidate is
 * evaluated, registered, shadowed, canaried on that traffic and promoted, and
 * the promotion's lineage reads back to the retrain request.
 */
describe('release loop: train, evaluate, register, shadow, canary, promote', () => {
  const children: ChildProcess[] = [];
  let bus: EventBus | undefined;
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await bus?.close();
  });

  it('promotes a retrained candidate through every step on live gateway traffic', { timeout: 420_000 }, async () => {
    const setup = await processSetup('e2e', {
      LOG_LEVEL: 'info',
      // As the driftloop launcher (services/cli/bin.cjs) sets it.
      UV_THREADPOOL_SIZE: '32',
      DRIFTLOOP_ADMIN_TOKEN: ADMIN,
      INGEST_GROUP_ID: uniqueName('ingest'), DRIFT_GROUP_ID: uniqueName('drift'), TRAINER_GROUP_ID: uniqueName('trainer'), EVAL_GROUP_ID: uniqueName('eval'),
      REGISTRY_GROUP_ID: uniqueName('registry'), ROLLOUT_GROUP_ID: uniqueName('rollout'), GATEWAY_GROUP_ID: uniqueName('gateway'),
      INGEST_BATCH_MAX_WAIT_MS: '100',
      TRAINER_ARTIFACTS_DIR: await tempDir(), TRAINER_WORK_DIR: await tempDir(), EVAL_WORK_DIR: await tempDir(), REGISTRY_ARTIFACTS_DIR: await tempDir(),
      TRAINER_SPEC: JSON.stringify({ algorithm: 'mlp', max_trials: '2', 'param.epochs': '5', window_rows: '6000', sampler: 'random' }),
      // A retrain on fresher data may score a little lower on the holdout than the champion, and latency on a machine shared with
      // other tests is noise: this test is about the release path, the checks' own tests are in test/unit/rollout.
      EVAL_MIN_IMPROVEMENT: '-0.1', EVAL_MARGIN: '0.2', EVAL_SLICE_TOLERANCE: '0.3',
      ROLLOUT_SHADOW_DURATION_MS: '4000', ROLLOUT_ANALYSIS_INTERVAL_MS: '4000', ROLLOUT_POLL_INTERVAL_MS: '200', ROLLOUT_STEPS: '0.2,0.5,1',
      ROLLOUT_MIN_SAMPLES: '30', ROLLOUT_MIN_LABELED_SAMPLES: '20', ROLLOUT_MAX_STEP_EXTENSIONS: '10',
      ROLLOUT_MAX_ACCURACY_DROP: '0.2', ROLLOUT_MAX_PREDICTION_PSI: '2', ROLLOUT_MIN_AGREEMENT: '0.5', ROLLOUT_MAX_LATENCY_MARGIN_MS: '2000',
      GATEWAY_PLAN_REFRESH_MS: '500', GATEWAY_EMIT_BATCH_WAIT_MS: '50',
    });
    const { url, topicPrefix: prefix } = setup;
    // The process's log, to say what the services did when the test fails.
    const logPath = join(await tempDir(), 'driftloop.log');
    const child = await startDriftloop(setup, ['up'], children, { stdout: openSync(logPath, 'w'), timeoutMs: 120_000 });
    const logTail = (pattern: RegExp, lines = 15): string => readFileSync(logPath, 'utf8').split('\n').filter((l) => pattern.test(l)).slice(-lines).join('\n');
    const get = async <T>(path: string): Promise<T> => (await (await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as T;

    const codec: EventCodec = createEventCodec({ client: createRegistryClient({ url: `${url}/schema-registry` }), topicPrefix: prefix });
    bus = createEventBus({ client: 'kafkajs', brokers: kafkaBrokers(), logger: silentLogger() });
    const producer = await bus.producer();
    const elec2 = loadElec2();
    const send = async (topic: 'features' | 'labels' | 'retrain-requests', events: Record<string, unknown>[], key: (e: Record<string, unknown>) => string): Promise<void> => {
      const messages: OutgoingMessage[] = [];
      for (const e of events) messages.push({ key: key(e), value: await codec.encode(topic, e) });
      await producer.send(topicName(prefix, topic), messages);
    };
    const request = (runId: string, ref: string): Promise<void> =>
      send('retrain-requests', [{ event_id: uniqueName('req'), model: 'elec2', ts: Date.now(), run_id: runId, cause: { kind: 'manual', ref, detail: 'e2e' }, requested_by: 'e2e', params: {} }], () => 'elec2');

    // History: 6,000 labeled Elec2 half-hours, stamped over the last hours.
    const start = Date.now() - 6000 * 1000;
    const history = elec2.slice(20_000, 26_000);
    const features = (rows: Elec2Row[], ts: (i: number) => number): Record<string, unknown>[] =>
      rows.map((r, i) => ({ event_id: `h-${r.index}`, model: 'elec2', ts: ts(i), entity_id: null, numeric: r.numeric, categorical: { day: r.day } }));
    await send('features', features(history, (i) => start + i * 1000), (e) => String(e.event_id));
    await send('labels', history.map((r, i) => ({ event_id: `h-${r.index}`, model: 'elec2', ts: start + i * 1000 + 500, label: r.label })), (e) => String(e.event_id));
    const stored = async (table: string): Promise<number> => Number(new RegExp(`^driftloop_ingest_rows_total\\{table="${table}"\\} (\\d+)`, 'm').exec(await (await fetch(`${url}/metrics`)).text())?.[1] ?? 0);
    await waitFor(async () => (await stored('features')) >= 6000 && (await stored('labels')) >= 6000, { message: 'history stored', timeoutMs: 60_000 });

    // The first model: trained, evaluated on its test split, registered, promoted at once (no champion yet), served.
    await request('run-first', 'first');
    await waitFor(async () => (await fetch(`${url}/v1/models/elec2`)).ok, { message: 'the gateway serves a champion', timeoutMs: 180_000, intervalMs: 500 });

    // Live traffic through the gateway, each answer's label produced shortly after.
    let stop = false;
    let sent = 0;
    let failures = 0;
    const variants = new Map<string, number>();
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        const rows = Array.from({ length: 10 }, (_, k) => elec2[26_000 + ((i * 10 + k) % 15_000)]!);
        const instances = rows.map((r, k) => ({ event_id: `live-${i}-${k}`, entity_id: `user-${(i * 10 + k) % 997}`, numeric: r.numeric, categorical: { day: r.day } }));
        const res = await fetch(`${url}/v1/models/elec2:predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ instances }) });
        if (!res.ok) {
          failures++;
          continue;
        }
        const { predictions } = (await res.json()) as { predictions: { variant: string }[] };
        for (const p of predictions) variants.set(p.variant, (variants.get(p.variant) ?? 0) + 1);
        sent += instances.length;
        await send('labels', rows.map((r, k) => ({ event_id: `live-${i}-${k}`, model: 'elec2', ts: Date.now(), label: r.label })), (e) => String(e.event_id));
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();

    try {
      await waitFor(() => sent >= 1500, { message: 'live traffic', timeoutMs: 60_000 });
      await request('run-second', 'second');
      let rollout: unknown;
      const promoted = await waitFor(async () => {
        rollout = await get('/rollout/models/elec2');
        const r = (rollout as { rollout?: { version: string; state: string; reason: string } }).rollout;
        if (r?.version === '2' && r.state === 'rolled_back') throw new Error(`version 2 was rolled back: ${r.reason}`);
        const model = await get<{ aliases?: { alias: string; version: string }[] }>('/registry/models/elec2');
        return model.aliases?.find((a) => a.alias === 'champion' && a.version === '2');
      }, {
        message: 'version 2 promoted', timeoutMs: 300_000, intervalMs: 500,
        onTimeout: () => `variants ${JSON.stringify([...variants])}, sent ${sent}, failures ${failures}; rollout ${JSON.stringify(rollout).slice(0, 3000)}\n${logTail(/"service":"(rollout|evaluator|registry)"/)}`,
      });
      expect(promoted).toBeDefined();
    } finally {
      stop = true;
      await traffic;
    }
    expect(failures).toBe(0);
    // The candidate answered real requests as canary before it was promoted.
    expect(variants.get('canary') ?? 0).toBeGreaterThan(30);

    const { rollouts } = await get<{ rollouts: { version: string; state: string; steps: number[] }[] }>('/rollout/rollouts?model=elec2');
    expect(rollouts.map((r) => [r.version, r.state])).toEqual([['2', 'promoted'], ['1', 'promoted']]);
    const version = await get<{ version: { lineage: Record<string, string>; status: string }; evaluation: { decision: string; championVersion: string } }>('/registry/models/elec2/versions/2');
    expect(version.version.lineage).toMatchObject({ run_id: 'run-second', cause_kind: 'manual', cause_ref: 'second', evaluation_id: 'eval-run-second' });
    expect(version.evaluation).toMatchObject({ decision: 'register', championVersion: '1' });
    const { history: moves } = await get<{ history: { alias: string; version: string; actor: string }[] }>('/registry/models/elec2/aliases/history');
    expect(moves.filter((m) => m.alias === 'champion').map((m) => m.version)).toEqual(['1', '2']);
    expect(moves.find((m) => m.alias === 'previous-champion')?.version).toBe('1');

    // The CLI's view of the same state.
    const cli = (args: string[]): string => execFileSync(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args, '--url', url], { env: { ...process.env, DRIFTLOOP_ADMIN_TOKEN: ADMIN } }).toString();
    expect(cli(['status'])).toMatch(/^elec2\s+2\s+last: v2 promoted\s+-$/m);
    expect(cli(['rollout', 'elec2'])).toMatch(/^model elec2 version 2 \(champion 1\): promoted, done step 3\/3, weight 0%/);

    child.kill('SIGTERM');
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
  });
});
