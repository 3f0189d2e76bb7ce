import { rm } from 'node:fs/promises';
import { topicName, type DataTopic } from '../../../schemas/index.js';
import { commonOptions, confluentFrame, createLogger, loadConfig, type OutgoingMessage } from '../../common/index.js';
import { loadElec2, HALF_HOUR_MS, type Elec2Row } from '../demo/elec2.js';
import { startRuntime, type Runtime } from '../runtime.js';
import { SERVICES } from '../services.js';

const MODEL = 'elec2';

function progress(line: string): void {
  if (process.stdout.isTTY) process.stdout.write(`\r${line.padEnd(100)}`);
}

/** The three data events one Elec2 record yields, as a producing app would send them. */
function eventsOf(row: Elec2Row, previous: Elec2Row | undefined) {
  const event_id = `elec2-${row.index}`;
  return {
    features: { event_id, model: MODEL, ts: row.ts, entity_id: 'nsw', numeric: row.numeric, categorical: { day: row.day } },
    // A persistence baseline ("same as last half hour") stands in for a trained champion at this stage.
    predictions: {
      event_id,
      model: MODEL,
      ts: row.ts,
      model_version: 'baseline-persistence',
      variant: 'champion',
      entity_id: 'nsw',
      prediction: previous?.label ?? 'UP',
      score: previous?.label === 'UP' ? 1 : 0,
      latency_ms: 0.01,
    },
    // The label is known half an hour later, when the next price is.
    labels: { event_id, model: MODEL, ts: row.ts + HALF_HOUR_MS, label: row.label },
  } satisfies Record<DataTopic, object>;
}

async function produceElec2(runtime: Runtime, rows: Elec2Row[]): Promise<void> {
  const producer = await runtime.bus.producer();
  const prefix = runtime.config.topicPrefix;
  const chunk = 5000;
  for (let i = 0; i < rows.length; i += chunk) {
    const batches: Record<DataTopic, OutgoingMessage[]> = { features: [], predictions: [], labels: [] };
    for (let j = i; j < Math.min(i + chunk, rows.length); j++) {
      const events = eventsOf(rows[j]!, rows[j - 1]);
      for (const topic of ['features', 'predictions', 'labels'] as const) {
        batches[topic].push({ key: events[topic].event_id, value: await runtime.codec.encode(topic, events[topic], 'avro') });
      }
    }
    await Promise.all((['features', 'predictions', 'labels'] as const).map((t) => producer.send(topicName(prefix, t), batches[t])));
    progress(`produced ${Math.min(i + chunk, rows.length).toLocaleString()} / ${rows.length.toLocaleString()} Elec2 records (features, predictions, labels)`);
  }
}

/** Messages a buggy producer might send: each must end up in the dead-letter topic, saying why. */
async function produceBadMessages(runtime: Runtime): Promise<number> {
  const producer = await runtime.bus.producer();
  const bad: OutgoingMessage[] = [
    { key: 'bad-1', value: Buffer.from('not json at all') },
    { key: 'bad-2', value: Buffer.from(JSON.stringify({ event_id: 'bad-2', ts: 0, numeric: {} })) },
    { key: 'bad-3', value: Buffer.from(JSON.stringify({ event_id: 'bad-3', model: 'has spaces', ts: 0 })) },
    { key: 'bad-4', value: confluentFrame(999_999, Buffer.from([2, 0])) },
  ];
  await producer.send(topicName(runtime.config.topicPrefix, 'features'), bad);
  return bad.length;
}

/** Reads the dead-letter topic back, as an operator would, to show each bad message's origin and reason. */
async function readDeadLetters(runtime: Runtime, count: number, timeoutMs = 30_000): Promise<Record<string, unknown>[]> {
  const letters: Record<string, unknown>[] = [];
  const consumer = await runtime.bus.consumer({
    groupId: `demo-dlq-reader-${Date.now()}`,
    topics: [topicName(runtime.config.topicPrefix, 'dlq')],
    onBatch: async (messages) => {
      for (const m of messages) if (m.value) letters.push(await runtime.codec.decode('dlq', m.value));
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (letters.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.close();
  return letters;
}

async function counts(runtime: Runtime): Promise<Record<DataTopic, number>> {
  const rows = await runtime.clickhouse.query<{ t: DataTopic; n: number }>(
    `SELECT 'features' AS t, count() AS n FROM {db:Identifier}.features WHERE model = {m:String}
     UNION ALL SELECT 'predictions', count() FROM {db:Identifier}.predictions WHERE model = {m:String}
     UNION ALL SELECT 'labels', count() FROM {db:Identifier}.labels WHERE model = {m:String}`,
    { m: MODEL },
  );
  return Object.fromEntries(rows.map((r) => [r.t, Number(r.n)])) as Record<DataTopic, number>;
}

async function quarterlySummary(runtime: Runtime) {
  return runtime.clickhouse.query<{ quarter: string; events: number; mean_nswprice: number; up_share: number; baseline_accuracy: number }>(
    `SELECT toStartOfQuarter(f.ts) AS quarter, count() AS events,
            round(avg(f.numeric['nswprice']), 4) AS mean_nswprice,
            round(avg(l.label = 'UP'), 3) AS up_share,
            round(avg(p.prediction = l.label), 3) AS baseline_accuracy
     FROM {db:Identifier}.features AS f
     INNER JOIN {db:Identifier}.labels AS l ON l.event_id = f.event_id AND l.model = f.model
     INNER JOIN {db:Identifier}.predictions AS p ON p.event_id = f.event_id AND p.model = f.model
     WHERE f.model = {m:String}
     GROUP BY quarter ORDER BY quarter`,
    { m: MODEL },
  );
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * Monitors the replayed Elec2 stream: a reference profile from its first 8
 * weeks, then 4-week windows in event time, each compared with it in one
 * ClickHouse query; prints what the policy decided per window.
 */
async function monitorDrift(runtime: Runtime, env: NodeJS.ProcessEnv, rows: readonly Elec2Row[]): Promise<void> {
  const drift = await SERVICES.drift.build(runtime, { ...env, DRIFT_WINDOW_MS: String(4 * WEEK_MS), DRIFT_LATENESS_MS: '0', DRIFT_POLL_INTERVAL_MS: '3600000' }, (err) => {
    console.error(err);
    process.exit(1);
  });
  await drift.start();
  try {
    const from = rows[0]!.ts;
    const started = performance.now();
    const profile = await drift.buildReference({ model: MODEL, modelVersion: 'baseline-persistence', from, to: from + 8 * WEEK_MS });
    await drift.tick();
    const reports = (await drift.reports(MODEL, 1000)).reverse();
    const seconds = (performance.now() - started) / 1000;
    console.log(`\ndrift: reference = first 8 weeks (${profile.numeric.length} numeric, ${profile.categorical.length} categorical features, champion score and class, accuracy ${profile.performance?.accuracy.toFixed(3) ?? 'n/a'}); ${reports.length} windows of 4 weeks decided in ${seconds.toFixed(1)} s, one ClickHouse query each`);
    console.table(
      reports.map((r) => {
        const decisive = r.features.filter((f) => f.decisive && f.variant === '');
        const top = decisive.filter((f) => f.drifted).sort((a, b) => b.value - a.value).slice(0, 3);
        const accuracy = r.features.find((f) => f.kind === 'performance' && f.test === 'accuracy' && f.variant === 'champion');
        return {
          window: new Date(r.window_start).toISOString().slice(0, 10),
          rows: r.window_rows,
          drifted: `${decisive.filter((f) => f.drifted).length}/${decisive.length}`,
          'most drifted (decisive test)': top.map((f) => `${f.feature} ${f.test} ${f.value.toFixed(2)}`).join(', '),
          accuracy: accuracy ? accuracy.value.toFixed(3) : '',
          decision: r.decision,
          run: r.run_id ?? '',
        };
      }),
    );
    const runs = new Set(reports.map((r) => r.run_id).filter(Boolean));
    console.log(`${runs.size} retrain run(s) requested on ${topicName(runtime.config.topicPrefix, 'retrain-requests')}; later windows join the open run until a trainer reports it done`);
  } finally {
    await drift.stop();
  }
}

/**
 * The demo at this stage of the loop: starts the embedded engines and the
 * ingest service in this process, replays Elec2 through Kafka as Confluent
 * Avro (plus a few bad messages), shows the events landing in ClickHouse, then
 * runs the drift monitor over them.
 */
export async function demo(options: { events?: number } = {}): Promise<void> {
  const dataDir = '.data/demo';
  await rm(dataDir, { recursive: true, force: true });
  const env = { LOG_LEVEL: 'warn', HTTP_PORT: '0', CLICKHOUSE_URL: `chdb:${dataDir}/clickhouse`, ...process.env };
  const config = loadConfig(commonOptions, env);
  const runtime = await startRuntime(config, createLogger({ service: 'demo', level: config.logLevel }));
  const ingest = await SERVICES.ingest.build(runtime, env, (err) => {
    console.error(err);
    process.exit(1);
  });
  try {
    console.log(`driftloop demo: Kafka ${runtime.kafkaBrokers.join(',')} (embedded mock cluster), ClickHouse ${runtime.clickhouse.backend}, Schema Registry ${runtime.schemaRegistryUrl}`);
    await ingest.start();
    const rows = loadElec2().slice(0, options.events ?? Infinity);
    const started = performance.now();
    await produceElec2(runtime, rows);
    const badCount = await produceBadMessages(runtime);
    console.log(`\nproduced ${rows.length.toLocaleString()} records x 3 topics and ${badCount} bad messages`);
    for (;;) {
      const c = await counts(runtime);
      progress(`landed in ClickHouse: features ${c.features}, predictions ${c.predictions}, labels ${c.labels}`);
      if (c.features >= rows.length && c.predictions >= rows.length && c.labels >= rows.length) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`\nall ${(rows.length * 3).toLocaleString()} events landed in ${seconds.toFixed(1)} s (${Math.round((rows.length * 3) / seconds).toLocaleString()} events/s, serialization included)`);
    console.log('\nElec2 by quarter: the market drifts, and a persistence baseline tracks it unevenly');
    console.table(await quarterlySummary(runtime));
    const letters = await readDeadLetters(runtime, badCount);
    console.log(`${letters.length} of ${badCount} bad messages are in ${topicName(config.topicPrefix, 'dlq')}, with their origin, reason and original bytes:`);
    console.table(
      letters.map((l) => ({
        origin: `${String(l.source_topic)}[${String(l.source_partition)}]@${String(l.source_offset)}`,
        code: l.error_code,
        error: String(l.error).slice(0, 70),
        bytes: (l.value as Buffer | null)?.length ?? 0,
      })),
    );
    await monitorDrift(runtime, env, rows);
  } finally {
    await ingest.stop();
    await runtime.close();
  }
}
