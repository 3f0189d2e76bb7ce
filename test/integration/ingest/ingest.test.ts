import avro from 'avsc';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { avroSchema, topicName } from '../../../schemas/index.js';
import { RowBinaryWriter, confluentFrame, createEventBus, silentLogger, type ClickHouse, type ClickHouseError, type OutgoingMessage } from '../../../services/common/index.js';
import { startEmbeddedKafka } from '../../../services/common/bus/embedded-kafka.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import { createRowDecoder, tableSpec } from '../../../services/ingest/index.js';
import { decodeDeadLetter } from '../../../services/cli/replay/index.js';
import { uniqueName, waitFor } from '../../support/index.js';
import { avroFeatureMessages, countRows, featureEvent, produce, readTopic, startTestIngest, startTestRuntime } from '../../support/runtime.js';

// A new group's first assignment on the shared embedded cluster can take tens of seconds while the end-to-end stacks
// and the backtest load the machine (a first-rows wait of 30 s timed out in a clean-clone run): first data gets 90 s.
const FIRST_DATA = { timeoutMs: 90_000 };

describe('ingest service on the embedded engines', { timeout: 180_000 }, () => {
  let runtime: Runtime;

  beforeAll(async () => {
    runtime = await startTestRuntime();
  });
  afterAll(() => runtime.close());

  it('stores valid Avro, JSON Schema and plain JSON events and dead-letters every bad one with its origin', async () => {
    const prefix = `${uniqueName('mix')}.`;
    const model = uniqueName('mix');
    const ingest = await startTestIngest(runtime, { topicPrefix: prefix });
    const good: OutgoingMessage[] = [];
    for (let i = 0; i < 150; i++) {
      const encoding = (['avro', 'json-schema', 'json'] as const)[i % 3];
      const e = featureEvent(model, i);
      good.push({ key: e.event_id, value: await runtime.codec.encode('features', e, encoding) });
    }
    const avroId = (await runtime.codec.register(['features'])).get('features')!;
    const valid = avro.Type.forSchema(avroSchema('features') as avro.Schema).toBuffer(featureEvent(model, 999));
    const bad: Record<string, { value: Buffer | null; code: string; reason: RegExp }> = {
      'bad-garbage': { value: Buffer.from([0x13, 0x37, 0x42]), code: 'DL_DECODE', reason: /not Confluent Avro, Confluent JSON Schema or a JSON object/ },
      'bad-truncated': { value: confluentFrame(avroId, valid.subarray(0, 12)), code: 'DL_DECODE', reason: /runs past the end/ },
      'bad-unknown-id': { value: confluentFrame(987_654, valid), code: 'DL_DECODE', reason: /schema id 987654 is not in the registry/ },
      'bad-no-model': { value: Buffer.from(JSON.stringify({ event_id: 'x', ts: 1 })), code: 'DL_VALIDATION', reason: /must have required property 'model'/ },
      'bad-type': { value: Buffer.from(JSON.stringify({ ...featureEvent(model, 1), numeric: { x: 'high' } })), code: 'DL_VALIDATION', reason: /^\/numeric\/x: must be number,null$/ },
      'bad-model-name': { value: Buffer.from(JSON.stringify({ ...featureEvent(model, 2), model: 'no spaces allowed' })), code: 'DL_VALIDATION', reason: /^\/model: must match pattern/ },
      'bad-json': { value: Buffer.from('{"event_id": "x", '), code: 'DL_DECODE', reason: /invalid JSON/ },
      'bad-tombstone': { value: null, code: 'DL_DECODE', reason: /empty message/ },
    };
    const badMessages = Object.entries(bad).map(([key, b]) => ({ key, value: b.value }));
    // Interleave the bad with the good: a bad message must not hold back the ones after it.
    await produce(runtime, 'features', [...good.slice(0, 75), ...badMessages, ...good.slice(75)], prefix);

    await waitFor(async () => (await countRows(runtime, 'features', model)).rows >= 150, { message: '150 rows', ...FIRST_DATA });
    expect(await countRows(runtime, 'features', model)).toEqual({ rows: 150, unique: 150 });

    const origins = new Map((await readTopic(runtime, topicName(prefix, 'features'), good.length + badMessages.length)).map((m) => [m.key?.toString(), m]));
    const dlq = await readTopic(runtime, topicName(prefix, 'dlq'), badMessages.length);
    expect(dlq).toHaveLength(badMessages.length);
    for (const m of dlq) {
      const letter = await runtime.codec.decode('dlq', m.value!);
      const key = (letter.key as Buffer).toString();
      const origin = origins.get(key)!;
      expect(bad[key], `unexpected dead letter ${key}`).toBeDefined();
      expect(letter).toMatchObject({
        source_topic: topicName(prefix, 'features'),
        source_partition: origin.partition,
        source_offset: origin.offset,
        error_code: bad[key]!.code,
        event_id: `${origin.topic}:${origin.partition}:${origin.offset}`,
      });
      expect(letter.error).toMatch(bad[key]!.reason);
      expect(letter.value === null ? null : Buffer.from(letter.value as Buffer)).toEqual(bad[key]!.value);
    }
    expect(ingest.stats()).toMatchObject({ stored: 150, deadLettered: badMessages.length, duplicates: 0 });
    await ingest.stop();
  });

  it('stores features, predictions and labels in their own tables', async () => {
    const prefix = `${uniqueName('three')}.`;
    const model = uniqueName('three');
    const ingest = await startTestIngest(runtime, { topicPrefix: prefix });
    const prediction = { event_id: `${model}-1`, model, ts: 1_700_000_000_000, model_version: 'v3', variant: 'canary', entity_id: null, prediction: 'UP', score: 0.81, latency_ms: 2.5 };
    const label = { event_id: `${model}-1`, model, ts: 1_700_000_060_000, label: 'DOWN' };
    await produce(runtime, 'predictions', [{ key: 'p', value: await runtime.codec.encode('predictions', prediction) }], prefix);
    await produce(runtime, 'labels', [{ key: 'l', value: await runtime.codec.encode('labels', label, 'json') }], prefix);
    await produce(runtime, 'features', await avroFeatureMessages(runtime, model, 1, 2), prefix);
    await waitFor(async () => (await countRows(runtime, 'labels', model)).rows === 1 && (await countRows(runtime, 'predictions', model)).rows === 1, { message: 'the label and the prediction', ...FIRST_DATA });
    const [p] = await runtime.clickhouse.query('SELECT model_version, variant, prediction, score, latency_ms, entity_id FROM {db:Identifier}.predictions WHERE model = {m:String}', { m: model });
    expect(p).toEqual({ model_version: 'v3', variant: 'canary', prediction: 'UP', score: 0.81, latency_ms: 2.5, entity_id: '' });
    const [joined] = await runtime.clickhouse.query(
      `SELECT f.numeric['x'] AS x, l.label AS label FROM {db:Identifier}.features AS f
       INNER JOIN {db:Identifier}.labels AS l ON l.event_id = f.event_id WHERE f.model = {m:String}`,
      { m: model },
    );
    expect(joined).toEqual({ x: 1 / 7, label: 'DOWN' });
    await ingest.stop();
  });

  it('pauses while the target table is gone and resumes without losing or duplicating anything', async () => {
    const prefix = `${uniqueName('outage')}.`;
    const model = uniqueName('outage');
    const total = 20_000;
    const ingest = await startTestIngest(runtime, { topicPrefix: prefix, batchMaxRows: 2000 });
    await produce(runtime, 'features', await avroFeatureMessages(runtime, model, 0, 6000), prefix);
    await waitFor(async () => (await countRows(runtime, 'features', model)).rows >= 4000, { message: 'first rows', onTimeout: () => JSON.stringify(ingest.stats()), ...FIRST_DATA });

    await runtime.clickhouse.command('DETACH TABLE {db:Identifier}.features');
    try {
      await produce(runtime, 'features', await avroFeatureMessages(runtime, model, 6000, total), prefix);
      const failing = (): boolean => {
        try {
          ingest.checkReady();
          return false;
        } catch (err) {
          return /inserts are failing/.test((err as Error).message);
        }
      };
      await waitFor(failing, { message: 'inserts to fail' });
      await waitFor(() => ingest.stats().paused, { message: 'consumption to pause' });
      const metrics = await (await fetch(`${runtime.url}/metrics`)).text();
      expect(metrics).toMatch(/driftloop_ingest_paused 1/);
      expect(metrics).toMatch(/driftloop_ingest_clickhouse_available 0/);
      const receivedWhilePaused = ingest.stats().received;
      await new Promise((r) => setTimeout(r, 1000));
      expect(ingest.stats().received).toBe(receivedWhilePaused);
    } finally {
      await runtime.clickhouse.command('ATTACH TABLE {db:Identifier}.features');
    }
    await waitFor(async () => (await countRows(runtime, 'features', model)).rows >= total, { message: `${total} rows after the outage`, timeoutMs: 60_000 });
    expect(await countRows(runtime, 'features', model)).toEqual({ rows: total, unique: total });
    await waitFor(() => !ingest.stats().paused, { message: 'consumption to resume' });
    expect(() => ingest.checkReady()).not.toThrow();
    await ingest.stop();
  });

  it('pauses while ClickHouse refuses writes as read-only, and stores everything exactly once when it accepts them again', async () => {
    const prefix = `${uniqueName('readonly')}.`;
    const model = uniqueName('readonly');
    // The server's own refusal: each insert first runs a statement with readonly = 1, which ClickHouse answers with
    // code 164 (READONLY), as a read-only replica or a server set read-only (a full disk is refused the same way, 243).
    let readOnly = true;
    const refusals: number[] = [];
    const clickhouse: ClickHouse = {
      ...runtime.clickhouse,
      async insertRowBinary(table, columns, payload, options) {
        if (readOnly) {
          await runtime.clickhouse.command('INSERT INTO {db:Identifier}.features (model) SETTINGS readonly = 1 SELECT {m:String} WHERE 0', { m: model }).catch((err: unknown) => {
            refusals.push((err as ClickHouseError).context.clickhouseCode ?? -1);
            throw err;
          });
        }
        return runtime.clickhouse.insertRowBinary(table, columns, payload, options);
      },
    };
    const ingest = await startTestIngest({ ...runtime, clickhouse }, { topicPrefix: prefix, batchMaxRows: 500 });
    try {
      await produce(runtime, 'features', await avroFeatureMessages(runtime, model, 0, 3000), prefix);
      await waitFor(() => ingest.stats().paused, { message: 'consumption to pause', ...FIRST_DATA });
      expect(new Set(refusals)).toEqual(new Set([164]));
      expect(() => ingest.checkReady()).toThrow(/inserts are failing/);
      expect((await countRows(runtime, 'features', model)).rows).toBe(0);
      readOnly = false;
      await waitFor(async () => (await countRows(runtime, 'features', model)).rows >= 3000, { message: '3000 rows once writable', timeoutMs: 60_000, onTimeout: () => JSON.stringify(ingest.stats()) + ' refusals ' + refusals.length });
      expect(await countRows(runtime, 'features', model)).toEqual({ rows: 3000, unique: 3000 });
      await waitFor(() => !ingest.stats().paused, { message: 'consumption to resume' });
      expect(ingest.stats().deadLettered).toBe(0);
    } finally {
      readOnly = false;
      await ingest.stop();
    }
  });

  it('reports a consumer that makes no progress while messages wait, on /readyz and driftloop_consumer_stalled, until it moves again', async () => {
    const prefix = `${uniqueName('stall')}.`;
    const model = uniqueName('stall');
    // The offset check's ClickHouse read hangs (as a call with no timeout to an engine that never answers would).
    let release: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (release = resolve));
    let hanging = true;
    const clickhouse: ClickHouse = {
      ...runtime.clickhouse,
      async query<T>(sql: string, params?: Record<string, unknown>) {
        if (hanging && sql.includes('_offset')) await hung;
        return runtime.clickhouse.query<T>(sql, params);
      },
    };
    // One key, so one partition, holding more than one delivery (10,000 messages): messages wait behind the hung one.
    await produce(runtime, 'features', (await avroFeatureMessages(runtime, model, 0, 12_000)).map((m) => ({ ...m, key: 'one' })), prefix);
    const ingest = await startTestIngest({ ...runtime, clickhouse }, { topicPrefix: prefix, stallTimeoutMs: 1500 });
    try {
      await waitFor(() => {
        try {
          ingest.checkReady();
          return false;
        } catch (err) {
          return /consumer stalled: .*features\[\d\] has not moved from offset \d+ for \d+ s with \d+ messages waiting/.test((err as Error).message);
        }
      }, { message: 'the stall on /readyz', ...FIRST_DATA });
      expect(await (await fetch(`${runtime.url}/metrics`)).text()).toMatch(new RegExp(`driftloop_consumer_stalled\\{service="ingest",topic="${prefix.replace(/\./g, '\\.')}features",partition="\\d"\\} 1`));
      hanging = false;
      release();
      await waitFor(async () => (await countRows(runtime, 'features', model)).rows >= 12_000, { message: 'everything stored once it moves', timeoutMs: 60_000 });
      expect(() => ingest.checkReady()).not.toThrow();
      expect(await (await fetch(`${runtime.url}/metrics`)).text()).toMatch(new RegExp(`driftloop_consumer_stalled\\{service="ingest",topic="${prefix.replace(/\./g, '\\.')}features",partition="\\d"\\} 0`));
    } finally {
      release();
      await ingest.stop();
    }
  });

  it('skips offsets a crashed predecessor stored but never committed', async () => {
    const prefix = `${uniqueName('fence')}.`;
    const model = uniqueName('fence');
    await produce(runtime, 'features', await avroFeatureMessages(runtime, model, 0, 1000), prefix);
    // The predecessor: stored the first 600 messages with their origin, then died before committing.
    const messages = await readTopic(runtime, topicName(prefix, 'features'), 1000);
    const spec = tableSpec('features');
    const decoder = createRowDecoder(spec, runtime.schemas);
    await runtime.schemas.load(runtime.schemas.unresolved(messages.map((m) => m.value)));
    const w = new RowBinaryWriter();
    const stored = messages.filter((m) => Number(m.key!.toString().split('-').pop()) < 600);
    for (const m of stored) {
      decoder.write(m.value, w);
      w.string(m.topic);
      w.uint32(m.partition);
      w.uint64(m.offset);
    }
    await runtime.clickhouse.insertRowBinary('features', spec.insertColumns, w.bytes());

    const ingest = await startTestIngest(runtime, { topicPrefix: prefix });
    await waitFor(() => ingest.stats().stored + ingest.stats().duplicates >= 1000, { message: 'all 1000 accounted for', ...FIRST_DATA });
    expect(ingest.stats()).toMatchObject({ stored: 400, duplicates: 600 });
    expect(await countRows(runtime, 'features', model)).toEqual({ rows: 1000, unique: 1000 });
    await ingest.stop();
  });

  it('stores the events of a topic that started again at offsets an earlier incarnation of it used', async () => {
    const prefix = `${uniqueName('reborn')}.`;
    const model = uniqueName('reborn');
    const topic = topicName(prefix, 'features');
    await produce(runtime, 'features', await avroFeatureMessages(runtime, model, 0, 1000), prefix);
    const messages = await readTopic(runtime, topic, 1000);
    const spec = tableSpec('features');
    const decoder = createRowDecoder(spec, runtime.schemas);
    await runtime.schemas.load(runtime.schemas.unresolved(messages.map((m) => m.value)));
    const w = new RowBinaryWriter();
    const writeRow = (value: Buffer, partition: number, offset: number): void => {
      decoder.write(value, w);
      w.string(topic);
      w.uint32(partition);
      w.uint64(offset);
    };
    // The earlier incarnation (the topic deleted and created again, or the embedded broker restarted on
    // this ClickHouse): other events at every offset the new one uses, and further.
    for (let partition = 0; partition < 4; partition++) {
      for (let offset = 0; offset < 600; offset++) writeRow(Buffer.from(JSON.stringify(featureEvent(`${model}-old`, partition * 1000 + offset))), partition, offset);
    }
    // This incarnation's predecessor stored its first 300 messages and died before committing.
    for (const m of messages.filter((m) => Number(m.key!.toString().split('-').pop()) < 300)) writeRow(m.value!, m.partition, m.offset);
    await runtime.clickhouse.insertRowBinary('features', spec.insertColumns, w.bytes());

    const ingest = await startTestIngest(runtime, { topicPrefix: prefix });
    await waitFor(() => ingest.stats().stored + ingest.stats().duplicates >= 1000, { message: 'all 1000 accounted for', ...FIRST_DATA });
    expect(ingest.stats()).toMatchObject({ stored: 700, duplicates: 300 });
    expect(await countRows(runtime, 'features', model)).toEqual({ rows: 1000, unique: 1000 });
    expect(await countRows(runtime, 'features', `${model}-old`)).toEqual({ rows: 2400, unique: 2400 });
    await ingest.stop();
  });

  it('stores every event after its broker starts again from offset 0 on the same ClickHouse', async () => {
    const prefix = `${uniqueName('restart')}.`;
    const model = uniqueName('restart');
    const groupId = uniqueName('restart');
    const first = await startTestIngest(runtime, { topicPrefix: prefix, groupId });
    await produce(runtime, 'features', await avroFeatureMessages(runtime, model, 0, 2000), prefix);
    await waitFor(async () => (await countRows(runtime, 'features', model)).rows >= 2000, { message: '2000 rows from the first broker', ...FIRST_DATA });
    await first.stop();

    // A new embedded broker, as `driftloop up` starts on its data directory: same topics and group, offsets from 0 again.
    const kafka = await startEmbeddedKafka({ brokers: 1 });
    const bus = createEventBus({ brokers: kafka.brokers, client: 'kafkajs', logger: silentLogger() });
    try {
      const producer = await bus.producer();
      await producer.send(topicName(prefix, 'features'), await avroFeatureMessages(runtime, model, 2000, 3500));
      const second = await startTestIngest({ ...runtime, bus }, { topicPrefix: prefix, groupId });
      await waitFor(() => second.stats().stored + second.stats().duplicates >= 1500, { message: 'the second broker\'s 1500 events accounted for', onTimeout: () => JSON.stringify(second.stats()), ...FIRST_DATA });
      expect(second.stats()).toMatchObject({ stored: 1500, duplicates: 0 });
      expect(await countRows(runtime, 'features', model)).toEqual({ rows: 3500, unique: 3500 });
      await second.stop();
    } finally {
      await bus.close();
      await kafka.stop();
    }
  });

  /** Produces good events around one invalid event of `bytes` bytes (with kafkajs, which sets no size limit of its own); the dead letters read back. */
  async function poisonPill(settings: { deadLetterMaxBytes: number }, bytes: number) {
    const prefix = `${uniqueName('pill')}.`;
    const model = uniqueName('pill');
    const ingest = await startTestIngest(runtime, { topicPrefix: prefix, ...settings });
    const bad = { ...featureEvent(model, 0), numeric: { x: 'x'.repeat(bytes) } };
    const value = Buffer.from(JSON.stringify(bad));
    const good = await avroFeatureMessages(runtime, model, 0, 200);
    const producer = await runtime.busFor('kafkajs').producer();
    await producer.send(topicName(prefix, 'features'), [...good.slice(0, 100), { key: 'pill', value, headers: { origin: 'test' } }, ...good.slice(100)]);
    await waitFor(async () => (await countRows(runtime, 'features', model)).rows >= 200 && ingest.stats().deadLettered >= 1, {
      message: 'the events behind the pill stored and the pill dead-lettered',
      onTimeout: () => JSON.stringify(ingest.stats()),
      ...FIRST_DATA,
    });
    expect(await countRows(runtime, 'features', model)).toEqual({ rows: 200, unique: 200 });
    expect(() => ingest.checkReady()).not.toThrow();
    const letters = await readTopic(runtime, topicName(prefix, 'dlq'), 1);
    await ingest.stop();
    expect(letters).toHaveLength(1);
    return { letter: decodeDeadLetter(letters[0]!.value)!, value };
  }

  it('cuts a huge bad message to the dead-letter bound, records its sizes, and stores the events behind it', async () => {
    const { letter, value } = await poisonPill({ deadLetterMaxBytes: 64 * 1024 }, 900_000);
    expect(letter).toMatchObject({ error_code: 'DL_VALIDATION', truncated: true, key_bytes: 4, value_bytes: value.length });
    expect(letter.key).toEqual(Buffer.from('pill'));
    expect(letter.headers).toEqual({ origin: Buffer.from('test') });
    expect(letter.value).toEqual(value.subarray(0, 64 * 1024 - 4 - 'origin'.length - 4));
  });

  it('sends only the coordinates of a dead letter the broker refuses, never retrying it, and stores the events behind it', async () => {
    // A bound above the producer's message.max.bytes (1,000,000): the letter itself is refused.
    const { letter, value } = await poisonPill({ deadLetterMaxBytes: 4 * 1024 * 1024 }, 1_200_000);
    expect(letter).toMatchObject({ error_code: 'DL_VALIDATION', truncated: true, key: null, value: null, headers: {}, key_bytes: 4, value_bytes: value.length });
  });

  it('stores and commits everything it holds when stopped', async () => {
    const prefix = `${uniqueName('drain')}.`;
    const model = uniqueName('drain');
    const groupId = uniqueName('drain');
    // Batches that never fill and never time out: only the stop can store them.
    const ingest = await startTestIngest(runtime, { topicPrefix: prefix, groupId, batchMaxRows: 1_000_000, batchMaxWaitMs: 600_000 });
    await produce(runtime, 'features', await avroFeatureMessages(runtime, model, 0, 3000), prefix);
    await waitFor(() => ingest.stats().received === 3000, { message: `all received (${JSON.stringify(ingest.stats())})`, ...FIRST_DATA });
    expect(ingest.stats().stored).toBe(0);
    await ingest.stop();
    expect(await countRows(runtime, 'features', model)).toEqual({ rows: 3000, unique: 3000 });
    const committed = await runtime.bus.committedOffsets(groupId, topicName(prefix, 'features'));
    expect(committed.reduce((sum, c) => sum + c.offset, 0)).toBe(3000);
  });
});
