import type { ChildProcess } from 'node:child_process';
import avro from 'avsc';
import { afterAll, describe, expect, it } from 'vitest';
import { avroSchema, topicName } from '../../../schemas/index.js';
import {
  confluentFrame,
  createClickHouse,
  createEventBus,
  createEventCodec,
  createRegistryClient,
  silentLogger,
  type EventBus,
  type OutgoingMessage,
} from '../../../services/common/index.js';
import { kafkaBrokers, uniqueName, waitFor } from '../../support/index.js';
import { processSetup, startDriftloop } from '../../support/process.js';
import { featureEvent } from '../../support/runtime.js';

const ADMIN_TOKEN = 'crash-admin';

describe('ingest process killed with SIGKILL mid-stream', () => {
  const children: ChildProcess[] = [];
  let bus: EventBus | undefined;
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await bus?.close();
  });

  it('stores every event exactly once after a restart', { timeout: 240_000 }, async () => {
    const groupId = uniqueName('crash');
    const setup = await processSetup('crash', {
      INGEST_GROUP_ID: groupId,
      INGEST_BATCH_MAX_ROWS: '4000',
      INGEST_BATCH_MAX_WAIT_MS: '200',
      // The killed member's partitions move once its session expires.
      INGEST_SESSION_TIMEOUT_MS: '6000',
      // Registering the test's schemas is a write to the embedded registry: it needs the admin token.
      DRIFTLOOP_ADMIN_TOKEN: ADMIN_TOKEN,
      LOG_LEVEL: 'warn',
    });
    const { topicPrefix: prefix } = setup;
    const startIngest = (): Promise<ChildProcess> => startDriftloop(setup, ['up', '--services', 'ingest'], children, { timeoutMs: 60_000 });

    let child = await startIngest();
    const codec = createEventCodec({ client: createRegistryClient({ url: `${setup.url}/schema-registry`, user: 'test', password: ADMIN_TOKEN }), topicPrefix: prefix });
    const schemaId = (await codec.register(['features'])).get('features')!;
    const type = avro.Type.forSchema(avroSchema('features') as avro.Schema);
    const model = uniqueName('crash');
    const total = 200_000;
    bus = createEventBus({ client: 'rdkafka', brokers: kafkaBrokers(), logger: silentLogger() });
    const producer = await bus.producer();
    const topic = topicName(prefix, 'features');
    const committed = async (): Promise<number> => (await bus!.committedOffsets(groupId, topic)).reduce((s, c) => s + c.offset, 0);

    let killed = false;
    for (let i = 0; i < total; i += 5000) {
      // Stay within what the embedded broker retains (~5 MiB per partition) while the ingest is down.
      await waitFor(async () => i - (await committed()) <= 40_000, { message: 'ingest to catch up', timeoutMs: 120_000, intervalMs: 100 });
      const messages: OutgoingMessage[] = [];
      for (let j = i; j < i + 5000; j++) {
        const e = featureEvent(model, j);
        messages.push({ key: e.event_id, value: confluentFrame(schemaId, type.toBuffer(e)) });
      }
      await producer.send(topic, messages);
      if (!killed && (await committed()) >= 80_000) {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
        killed = true;
        child = await startIngest();
      }
    }
    expect(killed).toBe(true);
    await waitFor(async () => (await committed()) === total, { message: 'every offset committed', timeoutMs: 120_000, intervalMs: 200 });

    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);

    const ch = await createClickHouse({ url: String(setup.env.CLICKHOUSE_URL), database: 'driftloop', logger: silentLogger() });
    try {
      const [r] = await ch.query<{ rows: number; unique: number }>(
        'SELECT count() AS rows, uniqExact(event_id) AS unique FROM {db:Identifier}.features WHERE model = {m:String}',
        { m: model },
      );
      expect({ rows: Number(r!.rows), unique: Number(r!.unique) }).toEqual({ rows: total, unique: total });
    } finally {
      await ch.close();
    }
  });
});
