/**
 * The gateway past its sustained rate: does it lose the loop's data? First the
 * sustained rate is measured (32 callers, closed loop); then requests are
 * offered open loop at 1x, 2x and 4x that rate, and the feature and prediction
 * events the gateway dropped are counted per million requests offered, next
 * to the requests it answered 200 and refused 503. Both overload policies run,
 * each in its own process (chDB allows one data directory per process):
 * `reject` (the default) and `drop` (answer everything; the old behaviour) as
 * the baseline of the same run. Prints figures; asserts nothing.
 *
 *   npm run bench -- gateway-overload [--gateway-seconds 5]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { syntheticRows } from '../../support/served-models.js';
import { runLoad } from './load.js';
import { startBenchGateway } from './setup.js';

export interface OverloadFigures {
  policy: 'reject' | 'drop';
  multiple: number;
  offeredPerSecond: number;
  requests: number;
  answered: number;
  refused: number;
  /** Events (features and predictions) dropped for want of room or of a broker. */
  eventsDropped: number;
  droppedPerMillionRequests: number;
}

async function total(runtime: { metrics: unknown }, name: string): Promise<number> {
  const all = await (runtime.metrics as { getMetricsAsJSON(): Promise<{ name: string; values: { value: number }[] }[]> }).getMetricsAsJSON();
  return all.find((m) => m.name === name)?.values.reduce((n, v) => n + v.value, 0) ?? 0;
}

async function runPolicy(policy: 'reject' | 'drop', seconds: number): Promise<OverloadFigures[]> {
  // A buffer a few seconds of traffic deep (the default holds 100,000 events): the overload shows within a short run.
  const bench = await startBenchGateway({ GATEWAY_OVERLOAD: policy, GATEWAY_EMIT_BUFFER_CAPACITY: '20000' });
  try {
    const rows = syntheticRows(1000, 77);
    const bodies = rows.map((r, i) => JSON.stringify({ instances: [{ entity_id: `e-${i}`, numeric: r.numeric, categorical: r.categorical }] }));
    const url = `${bench.runtime.url}/v1/models/${bench.models.builtin}:predict`;
    await runLoad(url, bodies, { mode: 'closed', concurrency: 32, durationMs: 2000 }); // warm-up
    await bench.gateway.idle();
    const sustained = await runLoad(url, bodies, { mode: 'closed', concurrency: 32, durationMs: seconds * 1000 });
    const rate = (sustained.statuses?.['200'] ?? 0) / (sustained.elapsedMs / 1000);
    console.log(`  ${policy}: sustained ${Math.round(rate).toLocaleString('en-US')} req/s (32 callers, closed loop, ${seconds} s)`);
    await bench.gateway.idle();
    const figures: OverloadFigures[] = [];
    for (const multiple of [1, 2, 4]) {
      const droppedBefore = await total(bench.runtime, 'driftloop_gateway_emit_dropped_total');
      const offered = Math.round(rate * multiple);
      const s = await runLoad(url, bodies, { mode: 'open', rate: offered, count: offered * seconds });
      await bench.gateway.idle();
      const dropped = (await total(bench.runtime, 'driftloop_gateway_emit_dropped_total')) - droppedBefore;
      const requests = offered * seconds;
      figures.push({
        policy, multiple, offeredPerSecond: offered, requests, answered: s.statuses?.['200'] ?? 0, refused: s.statuses?.['503'] ?? 0,
        eventsDropped: dropped, droppedPerMillionRequests: (dropped / requests) * 1e6,
      });
      const f = figures.at(-1)!;
      console.log(`  ${policy} ${multiple}x (${offered.toLocaleString('en-US')} req/s offered): ${f.answered.toLocaleString('en-US')} answered, ${f.refused.toLocaleString('en-US')} refused 503, ${dropped.toLocaleString('en-US')} events dropped (${Math.round(f.droppedPerMillionRequests).toLocaleString('en-US')} per million requests)`);
    }
    return figures;
  } finally {
    await bench.close();
  }
}

function inChild(policy: 'reject' | 'drop', seconds: number): Promise<OverloadFigures[]> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [policy, String(seconds)], { execArgv: ['--import', 'tsx'], stdio: ['inherit', 'inherit', 'inherit', 'ipc'] });
    let result: OverloadFigures[] = [];
    child.on('message', (m: OverloadFigures[]) => void (result = m));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(result) : reject(new Error(`overload bench (${policy}) exited with ${code}`))));
  });
}

export async function runGatewayOverloadBench(options: { seconds?: number } = {}): Promise<OverloadFigures[]> {
  const seconds = options.seconds ?? 5;
  console.log(`gateway overload: one instance per request, the builtin MLP; sustained rate, then 1x, 2x and 4x of it offered open loop for ${seconds} s each, with GATEWAY_OVERLOAD=reject and =drop (the baseline), a 20,000-event emit buffer`);
  const figures = [...(await inChild('drop', seconds)), ...(await inChild('reject', seconds))];
  console.table(figures.map((f) => ({
    policy: f.policy, load: `${f.multiple}x`, 'offered req/s': Math.round(f.offeredPerSecond), answered: f.answered, 'refused 503': f.refused, 'events dropped': f.eventsDropped, 'dropped per million requests': Math.round(f.droppedPerMillionRequests),
  })));
  return figures;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [policy, seconds] = process.argv.slice(2) as ['reject' | 'drop', string];
  runPolicy(policy, Number(seconds)).then(
    (figures) => {
      process.send?.(figures);
      process.exit(0);
    },
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
