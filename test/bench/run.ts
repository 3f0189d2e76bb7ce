/**
 * `npm run bench`: figures, each next to a baseline measured in the same run
 * (absolute numbers vary with the machine; ratios travel).
 *
 *   npm run bench                          every bench: ingest, drift, trainer, torch, search, gateway, rollout, backtest
 *   npm run bench -- ingest                one of them (or `drift`, `trainer`, `torch`, `search`, `gateway`, `gateway-overload`, `rollout`, `backtest`)
 *   npm run bench -- backtest --backtest-elec2-only   Elec2 without the generated streams
 *   npm run bench -- backtest --backtest-splits 1     Elec2 on one split only (default 3: the mean over three)
 *   npm run bench -- --events 200000       smaller ingest run
 *   npm run bench -- drift --drift-max-rows 1000000
 *                                          drift windows up to 1M rows (also BENCH_DRIFT_MAX_ROWS)
 *   npm run bench -- gateway --gateway-rate 2000 --gateway-seconds 5 --gateway-rounds 3
 *   npm run bench -- gateway-overload       1x, 2x, 4x the sustained rate: events dropped per million requests
 */
import { parseArgs } from 'node:util';
import { startEmbeddedKafka } from '../../services/common/index.js';
import { runDriftBench, type BaselineTiming } from './drift/bench.js';
import { runIngestBench, type IngestBenchResult } from './ingest/bench.js';
import { runBuiltinBench } from './trainer/builtin.js';
import { runTorchBench } from './trainer/torch.js';
import { runSearchBench, searchBenchRows } from './hpo/bench.js';
import { runTabularSearchBench } from './hpo/tabular.js';
import { runGatewayBenchInChild } from './gateway/bench.js';
import { runGatewayOverloadBench } from './gateway/overload.js';
import { runRolloutNoiseBench } from './rollout/noise.js';
import { runBacktestBench } from './backtest/bench.js';

const BENCHES = ['ingest', 'drift', 'trainer', 'torch', 'search', 'gateway', 'gateway-overload', 'rollout', 'backtest'] as const;
type Bench = (typeof BENCHES)[number];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: '1000000' },
    clients: { type: 'string', default: 'rdkafka,kafkajs' },
    'drift-max-rows': { type: 'string', default: process.env.BENCH_DRIFT_MAX_ROWS ?? '10000000' },
    'drift-reference-rows': { type: 'string', default: process.env.BENCH_DRIFT_REFERENCE_ROWS ?? '200000' },
    'drift-baseline-max-rows': { type: 'string', default: process.env.BENCH_DRIFT_BASELINE_MAX_ROWS ?? '1000000' },
    'drift-as-written-max-rows': { type: 'string', default: process.env.BENCH_DRIFT_AS_WRITTEN_MAX_ROWS ?? '1000000' },
    'gateway-rate': { type: 'string', default: '2000' },
    'gateway-seconds': { type: 'string', default: '5' },
    'gateway-rounds': { type: 'string', default: '3' },
    'backtest-elec2-only': { type: 'boolean', default: false },
    'backtest-splits': { type: 'string', default: '3' },
  },
});
for (const name of positionals) {
  if (!(BENCHES as readonly string[]).includes(name)) {
    console.error(`unknown bench ${JSON.stringify(name)}; one of ${BENCHES.join(', ')}`);
    process.exit(2);
  }
}
const selected = positionals.length > 0 ? (positionals as Bench[]) : [...BENCHES];
const events = Number(values.events);
const clients = values.clients.split(',') as ('rdkafka' | 'kafkajs')[];

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function ingest(): Promise<void> {
  console.log(`ingest: ${fmt(events)} Confluent Avro feature events (20 numeric + 3 categorical) through the embedded Kafka into chDB`);
  const kafka = await startEmbeddedKafka({ brokers: 3 });
  const results: IngestBenchResult[] = [];
  try {
    for (const client of clients) {
      const r = await runIngestBench({ client, events, brokers: kafka.brokers, brokerPid: kafka.pid, log: console.log });
      results.push(r);
      const lost = r.rows !== events || r.unique !== events ? `  MISMATCH: ${r.rows} rows, ${r.unique} unique; duplicated: ${r.duplicates.join('; ')}` : '';
      console.log(`  ${client}: ingest alone draining a backlog: ${fmt(r.drain.eventsPerSecond)} events/s (${r.drain.ratio.toFixed(2)} of the ceiling), ${r.drain.cpuPerEvent.toFixed(1)} us CPU per event`);
      console.log(`  ${client}: ${fmt(r.eventsPerSecond)} events/s end to end (${r.seconds.toFixed(2)} s); ceiling ${fmt(r.ceilingEventsPerSecond)} events/s; ratio ${r.ratio.toFixed(2)}; ingest peak RSS ${fmt(r.peakRssBytes / 2 ** 20)} MiB; CPU per event: ingest ${r.cpuPerEvent.ingest.toFixed(1)} us, producer ${r.cpuPerEvent.producer.toFixed(1)} us, broker ${r.cpuPerEvent.broker.toFixed(1)} us${lost}`);
    }
  } finally {
    await kafka.stop();
  }
  console.table(
    results.map((r) => ({
      adapter: r.client,
      'events/s': fmt(r.eventsPerSecond),
      'ceiling events/s': fmt(r.ceilingEventsPerSecond),
      'ratio to ceiling': r.ratio.toFixed(2),
      'drain events/s': fmt(r.drain.eventsPerSecond),
      'drain ratio': r.drain.ratio.toFixed(2),
      'peak RSS MiB': fmt(r.peakRssBytes / 2 ** 20),
      'rows stored': fmt(r.rows),
    })),
  );
}

async function drift(): Promise<void> {
  const maxRows = Number(values['drift-max-rows']);
  const sizes = [100_000, 1_000_000, 10_000_000].filter((n) => n <= maxRows);
  if (sizes.length === 0) sizes.push(maxRows);
  console.log(`drift: one window's drift report (20 numeric + 3 categorical features) in chDB with the monitor's one query, against pulling the rows into Node and computing there; windows of ${sizes.map(fmt).join(', ')} rows`);
  const r = await runDriftBench({
    sizes,
    referenceRows: Number(values['drift-reference-rows']),
    baselineMaxRows: Number(values['drift-baseline-max-rows']),
    asWrittenMaxRows: Number(values['drift-as-written-max-rows']),
    log: console.log,
  });
  // `~` marks a baseline scaled per row from the largest window it was measured on.
  const total = (b: BaselineTiming): number => b.pullMs + b.computeMs;
  const ms = (n: number, measured = true): string => `${measured ? '' : '~'}${fmt(n)}`;
  console.table(
    r.windows.map((w, i) => ({
      rows: fmt(w.rows),
      'query best ms': ms(w.windowMs.best),
      'query median ms': ms(w.windowMs.median),
      'rows/s (median)': fmt(w.rows / (w.windowMs.median / 1000)),
      'other CPU': `${(w.otherCpuShare * 100).toFixed(0)}%`,
      'x per 10x rows': i > 0 ? (w.windowMs.median / r.windows[i - 1]!.windowMs.median).toFixed(1) : '',
      'pull ms': ms(w.tuned.pullMs, w.tuned.measured),
      'compute ms (tuned)': ms(w.tuned.computeMs, w.tuned.measured),
      'compute ms (drift-reference.ts)': ms(w.asWritten.computeMs, w.asWritten.measured),
      'query vs tuned': `${(total(w.tuned) / w.windowMs.median).toFixed(1)}x`,
      'query vs drift-reference.ts': `${(total(w.asWritten) / w.windowMs.median).toFixed(1)}x`,
    })),
  );
  console.log(`  reference profile build: ${(r.referenceBuildMs / 1000).toFixed(2)} s for ${fmt(r.referenceRows)} rows; target: a 1M-row window in <= 1.5 s, >= 10x faster than the baseline`);
}

async function search(): Promise<void> {
  console.log('\nsearch: TPE vs random search at equal budgets (100 trials), 5 seeds each, on Branin (2-D) and Hartmann-6');
  const r = await runSearchBench({ trials: 100, seeds: 5, log: console.log });
  console.table(searchBenchRows(r));
  console.log('\nsearch on Elec2 with the builtin MLP (12k train, 4k validation, up to 10 epochs): pruning, then TPE vs random (24 trials, 3 seeds)');
  const t = await runTabularSearchBench({ trials: 24, seeds: 3, log: console.log });
  console.table(t.pruning);
  console.table(t.samplers);
}

async function main(): Promise<void> {
  if (selected.includes('ingest')) await ingest();
  if (selected.includes('drift')) await drift();
  if (selected.includes('trainer')) await runBuiltinBench({ epochs: 5, log: console.log });
  if (selected.includes('torch')) await runTorchBench({ epochs: 5, log: console.log });
  if (selected.includes('search')) await search();
  if (selected.includes('gateway')) await runGatewayBenchInChild({ rate: Number(values['gateway-rate']), seconds: Number(values['gateway-seconds']), rounds: Number(values['gateway-rounds']) });
  if (selected.includes('gateway-overload')) await runGatewayOverloadBench({ seconds: Number(values['gateway-seconds']) });
  if (selected.includes('rollout')) rollout();
  if (selected.includes('backtest')) await runBacktestBench({ log: console.log, streams: !values['backtest-elec2-only'], splits: Math.max(1, Number(values['backtest-splits']) || 1) });
}

function rollout(): void {
  const trials = 4000;
  console.log(`\nrollout: share of canary steps the accuracy check fails (champion accuracy 0.80, ROLLOUT_MAX_ACCURACY_DROP 0.02, ${fmt(trials)} simulated steps each)`);
  console.log('  candidate − champion 0.00 and −0.02: every failure is a false rollback; −0.05 and −0.10: a failure is a true one');
  console.table(runRolloutNoiseBench({ trials, championAccuracy: 0.8 }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
