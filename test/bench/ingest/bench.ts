import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
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
  /** CPU microseconds per event in the timed window: ingest process, producer process, embedded broker. */
  cpuPerEvent: { ingest: number; producer: number; broker: number };
  /** The ingest alone draining a backlog (no producer running): events/s and its CPU per event. */
  drain: { eventsPerSecond: number; ratio: number; cpuPerEvent: number };
}

interface ChildMessage {
  type: 'ready' | 'progress' | 'done';
  schemaRegistryUrl?: string;
  received?: number;
  stored?: number;
  paused?: boolean;
  /** Next offset the ingest reads, per partition. */
  positions?: Record<number, number>;
  /** CPU time the ingest process used so far (user + system). */
  cpuMicros?: number;
  rows?: number;
  unique?: number;
  peakRss?: number;
  ceilingSeconds?: number;
  duplicates?: string[];
}

/**
 * The embedded mock keeps only ~5 MiB per partition, so the producer stays at
 * most this many events (~3.6 MB) ahead of the ingest's position in every
 * partition; anything older would be trimmed before it is read. Partitions are
 * not consumed evenly, so the pacing is per partition.
 */
const MAX_AHEAD_PER_PARTITION = 10_000;
const CHUNK = 10_000;
/** The ingest process's admin token, per run: the bench registers its schema with it. */
const BENCH_ADMIN_TOKEN = randomBytes(16).toString('hex');
/** Events per backlog round in the drain phase: ~10k per partition, within what the broker keeps. */
export const DRAIN_ROUND = 40_000;

/**
 * Produces `events` Confluent Avro feature events (20 numeric + 3 categorical)
 * to the embedded Kafka while an ingest process stores them in chDB; reports
 * events/s from the first send to the last row stored, and the ceiling
 * measured in the same run.
 */
/** CPU time (user + system) of another process, from /proc. */
function processCpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
}

function ownCpuMicros(): number {
  const cpu = process.cpuUsage();
  return cpu.user + cpu.system;
}

export async function runIngestBench(options: {
  client: 'rdkafka' | 'kafkajs';
  events: number;
  brokers: string[];
  brokerPid: number;
  log: (line: string) => void;
}): Promise<IngestBenchResult> {
  const { client, events, brokers, brokerPid, log } = options;
  const dir = await mkdtemp(join(tmpdir(), 'driftloop-bench-'));
  const prefix = `bench${Date.now().toString(36)}.`;
  const child: ChildProcess = fork(fileURLToPath(new URL('./child.ts', import.meta.url)), [], {
    execArgv: ['--import', 'tsx', ...(process.env.BENCH_CPU_PROF ? ['--prof', `--logfile=${process.env.BENCH_CPU_PROF}/v8-%p.log`, '--no-logfile-per-isolate'] : [])],
    env: {
      ...process.env,
      KAFKA_BROKERS: brokers.join(','),
      INGEST_KAFKA_CLIENT: client,
      CLICKHOUSE_URL: `chdb:${dir}`,
      TOPIC_PREFIX: prefix,
      HTTP_PORT: '0',
      // Registering the bench's schema is a write to the embedded registry: it needs the admin token.
      DRIFTLOOP_ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      INGEST_GROUP_ID: `bench-${client}`,
      INGEST_BATCH_MAX_ROWS: process.env.BENCH_BATCH_ROWS ?? String(DRAIN_ROUND),
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
    const codec = createEventCodec({ client: createRegistryClient({ url: schemaRegistryUrl!, user: 'bench', password: BENCH_ADMIN_TOKEN }), topicPrefix: prefix });
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
    // Round-robin over the partitions, so the producer knows how far ahead it is in each.
    const offsets = await bus.topicOffsets(topic);
    const partitions = offsets.length;
    const sent = offsets.map((o) => o.high);
    const ahead = (): number => Math.max(...sent.map((n, p) => n - (latest.positions?.[p] ?? 0)));
    let produced = 0;
    const cpuAtStart = { ingest: latest.cpuMicros ?? 0, producer: ownCpuMicros(), broker: processCpuMicros(brokerPid) };
    const started = performance.now();
    const trace = process.env.BENCH_TRACE ? setInterval(() => log(`    t=${((performance.now() - started) / 1000).toFixed(2)}s produced=${produced} received=${latest.received} stored=${latest.stored} sent=${JSON.stringify(sent)} positions=${JSON.stringify(latest.positions)}`), 250) : undefined;
    // Two sends in flight, so the broker always has the next chunk while one is being acknowledged.
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < events; i += CHUNK) {
      while (ahead() > MAX_AHEAD_PER_PARTITION) await sleep(2);
      const messages: OutgoingMessage[] = [];
      for (let j = i; j < Math.min(i + CHUNK, events); j++) {
        const partition = j % partitions;
        sent[partition]!++;
        messages.push({ key: `bench-${j}`, value: values[j]!, partition });
      }
      inFlight.push(producer.send(topic, messages).then(() => void (produced += messages.length)));
      if (inFlight.length >= 2) await untilExit(inFlight.shift()!);
    }
    await untilExit(Promise.all(inFlight));
    while ((latest.stored ?? 0) - base < events) await sleep(5);
    const seconds = (performance.now() - started) / 1000;
    const cpuPerEvent = {
      ingest: ((latest.cpuMicros ?? 0) - cpuAtStart.ingest) / events,
      producer: (ownCpuMicros() - cpuAtStart.producer) / events,
      broker: (processCpuMicros(brokerPid) - cpuAtStart.broker) / events,
    };
    clearInterval(trace);

    // Phase 2, the ingest alone: drain a backlog with no producer competing for the CPU. The broker
    // keeps ~5 MiB per partition, so the backlog comes in rounds: pause, produce a round, resume, time
    // until stored. Each round is one full batch, so no batch waits for its time limit.
    let drainSeconds = 0;
    let drainCpuMicros = 0;
    for (let i = 0; i < events; i += DRAIN_ROUND) {
      child.send({ type: 'pause' });
      while (!latest.paused) await sleep(2);
      const round: OutgoingMessage[] = [];
      for (let j = i; j < Math.min(i + DRAIN_ROUND, events); j++) round.push({ key: `bench-${j}`, value: values[j]!, partition: j % partitions });
      for (let k = 0; k < round.length; k += CHUNK) await untilExit(producer.send(topic, round.slice(k, k + CHUNK)));
      await sleep(40);
      const target = (latest.stored ?? 0) + round.length;
      const cpu0 = latest.cpuMicros ?? 0;
      const t0 = performance.now();
      child.send({ type: 'resume' });
      const r0 = latest.received ?? 0;
      while ((latest.stored ?? 0) < target) {
        await sleep(2);
        if (process.env.BENCH_TRACE && i === DRAIN_ROUND) log(`    drain t=${(performance.now() - t0).toFixed(0)}ms received=+${(latest.received ?? 0) - r0} stored=${target - (latest.stored ?? 0)} to go`);
      }
      drainSeconds += (performance.now() - t0) / 1000;
      drainCpuMicros += (latest.cpuMicros ?? 0) - cpu0;
    }
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
      // Every event twice (end to end, then drained), less the warm-up event; unique counts (partition, offset).
      rows: (final.rows! - 1) / 2,
      unique: (final.unique! - 1) / 2,
      duplicates: final.duplicates ?? [],
      cpuPerEvent,
      drain: { eventsPerSecond: events / drainSeconds, ratio: events / drainSeconds / ceilingEventsPerSecond, cpuPerEvent: drainCpuMicros / events },
    };
  } finally {
    // The child exits by itself after its report; give it the time to (and to write a CPU profile).
    if (child.exitCode === null) await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  }
}
