/**
 * `npm run bench`: figures, each next to a baseline measured in the same run
 * (absolute numbers vary with the machine; ratios travel).
 *
 *   npm run bench -- --events 200000     smaller run
 */
import { parseArgs } from 'node:util';
import { startEmbeddedKafka } from '../../services/common/index.js';
import { runIngestBench, type IngestBenchResult } from './ingest/bench.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, clients: { type: 'string', default: 'rdkafka,kafkajs' } } });
const events = Number(values.events);
const clients = values.clients.split(',') as ('rdkafka' | 'kafkajs')[];

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
