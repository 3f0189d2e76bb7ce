import avro from 'avsc';
import { avroSchema, topicName, type DataTopic, type Topic } from '../../schemas/index.js';
import {
  commonOptions,
  confluentFrame,
  loadConfig,
  silentLogger,
  type IncomingMessage,
  type OutgoingMessage,
} from '../../services/common/index.js';
import { startRuntime, type Runtime } from '../../services/cli/runtime.js';
import { registerServiceRoutes, SERVICES, type RunnableService, type ServiceName } from '../../services/cli/services.js';
import { createIngestService, type IngestService, type IngestSettings } from '../../services/ingest/index.js';
import { kafkaBrokers, tempDir, uniqueName, waitFor } from './index.js';

/** Environment of a test runtime: the run's embedded Kafka, a fresh chDB directory, topics of its own; `env` on top. */
async function testEnv(prefix: string, env: Record<string, string>): Promise<Record<string, string>> {
  return {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    CLICKHOUSE_URL: `chdb:${await tempDir()}`,
    HTTP_PORT: '0',
    LOG_LEVEL: 'silent',
    TOPIC_PREFIX: `${uniqueName(prefix)}.`,
    ...env,
  };
}

/** The process runtime on the run's embedded Kafka and a fresh chDB directory. */
export async function startTestRuntime(env: Record<string, string> = {}): Promise<Runtime> {
  return startRuntime(loadConfig(commonOptions, await testEnv('rt', env)), silentLogger());
}

/** An ingest service on its own topics (`prefix` + features/predictions/labels), started. */
export async function startTestIngest(runtime: Runtime, settings: Partial<IngestSettings> = {}): Promise<IngestService> {
  const ingest = createIngestService({
    bus: runtime.bus,
    clickhouse: runtime.clickhouse,
    schemas: runtime.schemas,
    codec: runtime.codec,
    logger: runtime.logger,
    metrics: runtime.metrics,
    settings: {
      groupId: uniqueName('ingest'),
      topics: ['features', 'predictions', 'labels'],
      topicPrefix: runtime.config.topicPrefix,
      batchMaxRows: 5000,
      batchMaxBytes: 16 * 1024 * 1024,
      batchMaxWaitMs: 100,
      retryMaxDelayMs: 200,
      shutdownTimeoutMs: 30_000,
      ...settings,
    },
  });
  await ingest.start();
  return ingest;
}

export function featureEvent(model: string, i: number) {
  return {
    event_id: `${model}-${i}`,
    model,
    ts: 1_700_000_000_000 + i * 1000,
    entity_id: `user-${i % 97}`,
    numeric: { x: i / 7, y: Math.sin(i), z: -i },
    categorical: { color: ['red', 'green', 'blue'][i % 3]! },
  };
}

/** Confluent Avro feature messages, encoded with avsc and framed with the registered schema id. */
export async function avroFeatureMessages(runtime: Runtime, model: string, from: number, to: number): Promise<OutgoingMessage[]> {
  const id = (await runtime.codec.register(['features'])).get('features')!;
  const type = avro.Type.forSchema(avroSchema('features') as avro.Schema);
  const out: OutgoingMessage[] = [];
  for (let i = from; i < to; i++) {
    const e = featureEvent(model, i);
    out.push({ key: e.event_id, value: confluentFrame(id, type.toBuffer(e)) });
  }
  return out;
}

export async function produce(runtime: Runtime, topic: DataTopic | 'dlq', messages: readonly OutgoingMessage[], prefix = runtime.config.topicPrefix): Promise<void> {
  const producer = await runtime.bus.producer();
  await producer.send(topicName(prefix, topic), messages);
}

export async function countRows(runtime: Runtime, table: DataTopic, model: string): Promise<{ rows: number; unique: number }> {
  const [r] = await runtime.clickhouse.query<{ rows: number; unique: number }>(
    'SELECT count() AS rows, uniqExact(event_id) AS unique FROM {db:Identifier}.{table:Identifier} WHERE model = {model:String}',
    { table, model },
  );
  return { rows: Number(r!.rows), unique: Number(r!.unique) };
}

/** Reads `count` messages of a topic from the beginning with a throwaway group. */
export async function readTopic(runtime: Runtime, topic: string, count: number): Promise<IncomingMessage[]> {
  const seen: IncomingMessage[] = [];
  const consumer = await runtime.bus.consumer({
    groupId: uniqueName('reader'),
    topics: [topic],
    onBatch: async (messages) => void seen.push(...messages),
  });
  try {
    await waitFor(() => seen.length >= count, { message: `${count} messages on ${topic}`, timeoutMs: 30_000 });
  } finally {
    await consumer.close();
  }
  return seen;
}

/**
 * One service as `driftloop run <name>` starts it: a runtime on the run's
 * embedded Kafka and a fresh chDB directory, the service's routes on the
 * shared HTTP server, the service built from `env` and started.
 */
export async function startServiceOverHttp<N extends ServiceName>(
  name: N,
  env: Record<string, string>,
): Promise<{ runtime: Runtime; service: Awaited<ReturnType<(typeof SERVICES)[N]['build']>> }> {
  const fullEnv = await testEnv(name, env);
  const config = loadConfig(commonOptions, fullEnv);
  const running = new Map<ServiceName, RunnableService>();
  const runtime = await startRuntime(config, silentLogger(), { routes: [(app, shared) => registerServiceRoutes(name, app, { config, env: fullEnv, ...shared }, running)] });
  const service = (await SERVICES[name].build(runtime, fullEnv, (err) => {
    throw err;
  })) as Awaited<ReturnType<(typeof SERVICES)[N]['build']>>;
  await service.start();
  running.set(name, service);
  return { runtime, service };
}

/** Every event now on `topic` (the runtime's prefix) that `match` accepts, decoded, with its key, read by a fresh group. */
export async function readTopicEvents(runtime: Runtime, topic: Topic, match: (event: Record<string, unknown>) => boolean = () => true): Promise<{ key: string; event: Record<string, unknown> }[]> {
  const name = topicName(runtime.config.topicPrefix, topic);
  const end = (await runtime.bus.topicOffsets(name)).reduce((n, p) => n + p.high, 0);
  const seen: { key: string; event: Record<string, unknown> }[] = [];
  let read = 0;
  const consumer = await runtime.bus.consumer({
    groupId: uniqueName('read'),
    topics: [name],
    onBatch: async (messages) => {
      for (const m of messages) {
        read++;
        const event = await runtime.codec.decode(topic, m.value!);
        if (match(event)) seen.push({ key: m.key?.toString() ?? '', event });
      }
    },
  });
  await waitFor(() => read >= end, { message: `${end} messages of ${name}`, timeoutMs: 60_000 });
  await consumer.close();
  return seen;
}
