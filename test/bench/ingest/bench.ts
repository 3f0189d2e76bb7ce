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
  /** Event ids stored more than once, with where each copy came from (should be empty). */
  duplicates: string[];
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
  duplicates?: string[];
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
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--prof', `--logfile=${process.env.BENCH_CPU_PROF}/v8-%p.log`, '--no-logfile-per-isolate'] : [])],
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_CLIENT: client,
      CLICKHOUSE_URL: `chdb:${dir}`,
      TOPIC_PREFIX: prefix,
      HTTP_PORT: '0',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      INGEST_GROUP_ID: `bench-${client}`,
    },
  });
  let latest: Partial<ChildMessage> = {};
  let done: ((m: ChildMessage) => void) | undefined;
  // Every wait below races the child's exit, so a crash fails the bench instead of hanging it.
  const exited = new Promise<never>((_resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench ingest process exited with ${code}`)));
  });
  exited.catch(() => {});
  const untilExit = <T>(p: Promise<T>): Promise<T> => Promise.race([p, exited]);
  const sleep = (ms: number): Promise<void> => untilExit(new Promise((r) => setTimeout(r, ms)));
  const ready = untilExit(
    new Promise<ChildMessage>((resolve) => {
      child.on('message', (m: ChildMessage) => {
        if (m.type === 'ready') resolve(m);
        else if (m.type === 'progress') latest = m;
        else if (m.type === 'done') done?.(m);
      });
    }),
  );
  try {
    const { schemaRegistryUrl } = await ready;
    const codec = createEventCodec({ client: createRegistryClient({ url: schemaRegistryUrl! }), topicPrefix: prefix });
    const schemaId = (await codec.register(['features'])).get('features')!;
    log(`  ${client}: encoding ${events.toLocaleString()} events (not timed)`);
    const values = encodeBenchEvents(events).map((payload) => confluentFrame(schemaId, payload));

    const bus = createEventBus({ client: 'rdkafka', brokers, logger: silentLogger() });
    const producer = await bus.producer();
    const topic = topicName(prefix, 'features');
    // Warm-up (not timed): the first event creates the topic and lets the ingest join its group.
    await producer.send(topic, [{ key: 'warm-up', value: confluentFrame(schemaId, encodeBenchEvents(1, 1, events)[0]!) }]);
    while ((latest.stored ?? 0) < 1) await sleep(5);
    const base = latest.stored!;
    let produced = 0;
    const started = performance.now();
    const trace = process.env.BENCH_TRACE ? setInterval(() => log(`    t=${((performance.now() - started) / 1000).toFixed(2)}s produced=${produced} received=${latest.received} stored=${latest.stored}`), 250) : undefined;
    // Two sends in flight, so the broker always has the next chunk while one is being acknowledged.
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < events; i += CHUNK) {
      while (i - ((latest.received ?? base) - base) > MAX_AHEAD) await sleep(2);
      const messages: OutgoingMessage[] = [];
      for (let j = i; j < Math.min(i + CHUNK, events); j++) messages.push({ key: `bench-${j}`, value: values[j]! });
      inFlight.push(producer.send(topic, messages).then(() => void (produced += messages.length)));
      if (inFlight.length >= 2) await untilExit(inFlight.shift()!);
    }
    await untilExit(Promise.all(inFlight));
    while ((latest.stored ?? 0) - base < events) await sleep(5);
    const seconds = (performance.now() - started) / 1000;
    clearInterval(trace);
    await bus.close();

    const final = await untilExit(
      new Promise<ChildMessage>((resolve) => {
        done = resolve;
        child.send({ type: 'finish', events });
      }),
    );
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
      // Less the warm-up event.
      rows: final.rows! - 1,
      unique: final.unique! - 1,
      duplicates: final.duplicates ?? [],
    };
  } finally {
    // The child exits by itself after its report; give it the time to (and to write a CPU profile).
    if (child.exitCode === null) await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
