import { fork, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { topicName } from '../../../schemas/index.js';
import {
  confluentFrame,
  createEventBus,
  createEventCodec,
  createRegistryClient,
  silentLogger,
  type OutgoingMessage,
} from '../../../services/common/index.js';
import { encodeBenchEvents } from './events.js';

export interface IngestBenchResult {
  client: 'rdkafka' | 'kafkajs';
  events: number;
  seconds: number;
  eventsPerSecond: number;
  ceilingEventsPerSecond: number;
  ratio: number;
  peakRssBytes: number;
  rows: number;
  unique: number;
}

interface ChildMessage {
  type: 'ready' | 'progress' | 'done';
  schemaRegistryUrl?: string;
  received?: number;
  stored?: number;
  rows?: number;
  unique?: number;
  peakRss?: number;
  ceilingSeconds?: number;
}

/**
 * The embedded mock keeps only ~5 MiB per partition (4 partitions per topic),
 * so the producer stays at most this many events ahead of what the ingest has
 * received; anything older would be trimmed before it is read.
 */
const MAX_AHEAD = 40_000;
const CHUNK = 10_000;

/**
 * Produces `events` Confluent Avro feature events (20 numeric + 3 categorical)
 * to the embedded Kafka while an ingest process stores them in chDB; reports
 * events/s from the first send to the last row stored, and the ceiling
 * measured in the same run.
 */
export async function runIngestBench(options: { client: 'rdkafka' | 'kafkajs'; events: number; brokers: string[]; log: (line: string) => void }): Promise<IngestBenchResult> {
  const { client, events, brokers, log } = options;
  const dir = await mkdtemp(join(tmpdir(), 'driftloop-bench-'));
  const prefix = `bench${Date.now().toString(36)}.`;
  const child: ChildProcess = fork(fileURLToPath(new URL('./child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_CLIENT: client,
      CLICKHOUSE_URL: `chdb:${dir}`,
      TOPIC_PREFIX: prefix,
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      INGEST_GROUP_ID: `bench-${client}`,
    },
  });
  let latest: Partial<ChildMessage> = {};
  let done: ((m: ChildMessage) => void) | undefined;
  const ready = new Promise<ChildMessage>((resolve, reject) => {
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'ready') resolve(m);
      else if (m.type === 'progress') latest = m;
      else if (m.type === 'done') done?.(m);
    });
    child.once('exit', (code) => reject(new Error(`bench ingest process exited with ${code}`)));
  });
  try {
    const { schemaRegistryUrl } = await ready;
    const codec = createEventCodec({ client: createRegistryClient({ url: schemaRegistryUrl! }), topicPrefix: prefix });
    const schemaId = (await codec.register(['features'])).get('features')!;
    log(`  ${client}: encoding ${events.toLocaleString()} events (not timed)`);
    const values = encodeBenchEvents(events).map((payload) => confluentFrame(schemaId, payload));

    const bus = createEventBus({ client: 'rdkafka', brokers, logger: silentLogger() });
    const producer = await bus.producer();
    const topic = topicName(prefix, 'features');
    const started = performance.now();
    for (let i = 0; i < events; i += CHUNK) {
      while (i - (latest.received ?? 0) > MAX_AHEAD) await new Promise((r) => setTimeout(r, 2));
      const messages: OutgoingMessage[] = [];
      for (let j = i; j < Math.min(i + CHUNK, events); j++) messages.push({ key: `bench-${j}`, value: values[j]! });
      await producer.send(topic, messages);
    }
    while ((latest.stored ?? 0) < events) await new Promise((r) => setTimeout(r, 5));
    const seconds = (performance.now() - started) / 1000;
    await bus.close();

    const final = await new Promise<ChildMessage>((resolve) => {
      done = resolve;
      child.send({ type: 'finish', events });
    });
    const eventsPerSecond = events / seconds;
    const ceilingEventsPerSecond = events / final.ceilingSeconds!;
    return {
      client,
      events,
      seconds,
      eventsPerSecond,
      ceilingEventsPerSecond,
      ratio: eventsPerSecond / ceilingEventsPerSecond,
      peakRssBytes: final.peakRss!,
      rows: final.rows!,
      unique: final.unique!,
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
