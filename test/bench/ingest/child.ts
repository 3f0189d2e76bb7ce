/**
 * The ingest process of the benchmark: the real service on the embedded
 * ClickHouse, reporting progress to the parent over IPC. After the stream, it
 * measures the ceiling: the same rows, pre-encoded as RowBinary, inserted
 * straight into the same chDB with the same batch size.
 */
import { readFileSync } from 'node:fs';
import { commonOptions, createLogger, loadConfig, RowBinaryWriter, HEADER_BYTES } from '../../../services/common/index.js';
import { ingestOptions, tableSpec } from '../../../services/ingest/index.js';
import { SERVICES } from '../../../services/cli/services.js';
import { compileTranscoder } from '../../../services/ingest/avro/transcoder.js';
import { startRuntime } from '../../../services/cli/runtime.js';
import { avroSchema, topicName } from '../../../schemas/index.js';
import { encodeBenchEvents } from './events.js';

const send = (msg: object): void => void process.send!(msg);

function peakRssBytes(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.memoryUsage().rss;
}

async function measureCeiling(runtime: Awaited<ReturnType<typeof startRuntime>>, events: number, batchRows: number): Promise<number> {
  const spec = tableSpec('features');
  const transcode = compileTranscoder(avroSchema('features'), spec);
  if (typeof transcode !== 'function') throw new Error(transcode);
  // `CREATE TABLE … AS` does not take identifier parameters; the database name is a checked identifier.
  const db = runtime.clickhouse.database;
  await runtime.clickhouse.command(`CREATE TABLE ${db}.features_ceiling AS ${db}.features`);
  // Pre-encode (not timed): the exact RowBinary the ingest inserts, in batches of the same size.
  const payloads: Buffer[] = [];
  const encoded = encodeBenchEvents(events);
  for (let i = 0; i < events; i += batchRows) {
    const w = new RowBinaryWriter(1 << 26);
    for (let j = i; j < Math.min(i + batchRows, events); j++) {
      const framed = Buffer.concat([Buffer.alloc(HEADER_BYTES), encoded[j]!]);
      transcode(framed, HEADER_BYTES, w);
      w.string('bench');
      w.uint32(0);
      w.uint64(j);
    }
    payloads.push(w.take());
  }
  const started = performance.now();
  for (const [n, p] of payloads.entries()) await runtime.clickhouse.insertRowBinary('features_ceiling', spec.insertColumns, p, { dedupToken: `ceiling-${n}` });
  return (performance.now() - started) / 1000;
}

async function main(): Promise<void> {
  const config = loadConfig(commonOptions, process.env);
  const settings = loadConfig(ingestOptions, process.env);
  const runtime = await startRuntime(config, createLogger({ service: 'bench-ingest', level: config.logLevel }));
  const ingest = await SERVICES.ingest.build(runtime, process.env, (err) => {
    console.error(err);
    process.exit(1);
  });
  await ingest.start();
  send({ type: 'ready', schemaRegistryUrl: runtime.schemaRegistryUrl });
  const timer = setInterval(() => {
    // The features topic's only: the ingest also holds predictions and labels, whose partitions have the same numbers
    // (keyed by partition alone, their zeros overwrote the features' positions and the producer waited forever).
    const features = topicName(config.topicPrefix, 'features');
    const positions = Object.fromEntries(ingest.lag().filter((l) => l.topic === features).map((l) => [l.partition, l.position]));
    const cpu = process.cpuUsage();
    send({ type: 'progress', ...ingest.stats(), positions, rss: process.memoryUsage().rss, cpuMicros: cpu.user + cpu.system });
  }, 20);

  process.on('message', (msg: { type: string; events: number }) => {
    if (msg.type === 'pause') ingest.pause();
    if (msg.type === 'resume') ingest.resume();
    if (msg.type !== 'finish') return;
    void (async () => {
      clearInterval(timer);
      await ingest.stop();
      // Exactly once per Kafka offset: count distinct (partition, offset) against rows.
      const [row] = await runtime.clickhouse.query<{ n: number; u: number }>(
        'SELECT count() AS n, uniqExact(_partition, _offset) AS u FROM {db:Identifier}.features',
      );
      const dups = await runtime.clickhouse.query<{ at: string; copies: number }>(
        "SELECT concat(toString(_partition), '@', toString(_offset)) AS at, count() AS copies FROM {db:Identifier}.features GROUP BY _partition, _offset HAVING copies > 1 LIMIT 10",
      );
      const peakRss = peakRssBytes();
      const ceilingSeconds = await measureCeiling(runtime, msg.events, settings.ingestBatchMaxRows);
      send({ type: 'done', rows: Number(row!.n), unique: Number(row!.u), peakRss, ceilingSeconds, duplicates: dups.map((d) => `${d.at} x${d.copies}`) });
      await runtime.close();
      process.exit(0);
    })();
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
