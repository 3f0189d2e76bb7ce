import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AvroDeserializer,
  AvroSerializer,
  JsonDeserializer,
  JsonSerializer,
  SchemaRegistryClient,
  SerdeType,
} from '@confluentinc/schemaregistry';
import { createClickHouse, migrate, type ClickHouse } from '../../../services/common/clickhouse/index.js';
import { silentLogger } from '../../../services/common/logger.js';
import { createSchemaRegistryService, type SchemaRegistryService } from '../../../services/schema-registry/index.js';
import { tempDir, uniqueName } from '../../support/index.js';

const ADMIN_TOKEN = 'serdes-admin-token';

let ch: ClickHouse;
let service: SchemaRegistryService;
let url: string;

beforeAll(async () => {
  ch = await createClickHouse({ url: `chdb:${await tempDir('driftloop-sr-serdes-')}`, database: 'registry_serdes', logger: silentLogger() });
  await migrate(ch, { logger: silentLogger() });
  service = await createSchemaRegistryService({ clickhouse: ch, logger: silentLogger(), writeAuth: { tokens: [ADMIN_TOKEN] } });
  url = await service.listen();
});

afterAll(async () => {
  await service?.close();
  await ch?.close();
});

/** A producer's client: it registers, so it presents the admin token (as Basic, the only auth Confluent clients speak); consumers only read and present nothing. */
function producerClient(): SchemaRegistryClient {
  return new SchemaRegistryClient({ baseURLs: [url], basicAuthCredentials: { credentialsSource: 'USER_INFO', userInfo: `producer:${ADMIN_TOKEN}` } });
}

/** Confluent wire format: magic byte 0, then the schema id as a 4-byte big-endian integer. */
function wireHeader(bytes: Buffer): { magic: number; schemaId: number } {
  return { magic: bytes.readUInt8(0), schemaId: bytes.readInt32BE(1) };
}

describe('Confluent serdes against the embedded registry', () => {
  it('round-trips an Avro record in the Confluent wire format, auto-registering its schema', async () => {
    const topic = uniqueName('avro_events');
    const producer = producerClient();
    const schema = {
      type: 'record',
      name: 'Prediction',
      namespace: 'driftloop',
      fields: [
        { name: 'event_id', type: 'string' },
        { name: 'score', type: 'double' },
        { name: 'variant', type: { type: 'enum', name: 'Variant', symbols: ['champion', 'canary'] } },
      ],
    };
    const id = await producer.register(`${topic}-value`, { schemaType: 'AVRO', schema: JSON.stringify(schema) });
    const serializer = new AvroSerializer(producer, SerdeType.VALUE, { useLatestVersion: true });
    const message = { event_id: 'e-1', score: 0.75, variant: 'canary' };
    const bytes = await serializer.serialize(topic, message);

    expect(wireHeader(bytes)).toEqual({ magic: 0, schemaId: id });
    // A separate client (its own caches) resolves the writer schema by id over HTTP.
    const consumer = new SchemaRegistryClient({ baseURLs: [url] });
    const deserializer = new AvroDeserializer(consumer, SerdeType.VALUE, {});
    expect({ ...(await deserializer.deserialize(topic, bytes)) }).toEqual(message);
  });

  it('lets an Avro reader on the latest version decode data written with an earlier one', async () => {
    const topic = uniqueName('avro_evolving');
    const client = producerClient();
    const v1 = { type: 'record', name: 'Feature', fields: [{ name: 'x', type: 'double' }] };
    const v2 = { type: 'record', name: 'Feature', fields: [{ name: 'x', type: 'double' }, { name: 'unit', type: 'string', default: 'm' }] };
    const id1 = await client.register(`${topic}-value`, { schema: JSON.stringify(v1) });
    const old = await new AvroSerializer(client, SerdeType.VALUE, { useLatestVersion: true }).serialize(topic, { x: 1.5 });
    const id2 = await client.register(`${topic}-value`, { schema: JSON.stringify(v2) });
    expect(id2).toBe(id1 + 1);

    const reader = new AvroDeserializer(new SchemaRegistryClient({ baseURLs: [url] }), SerdeType.VALUE, { useLatestVersion: true });
    expect(wireHeader(old).schemaId).toBe(id1);
    expect({ ...(await reader.deserialize(topic, old)) }).toEqual({ x: 1.5, unit: 'm' });
  });

  it('round-trips a JSON document in the Confluent wire format, with validation on both sides', async () => {
    const topic = uniqueName('json_events');
    const client = producerClient();
    const schema = {
      type: 'object',
      properties: { event_id: { type: 'string' }, numeric: { type: 'object', additionalProperties: { type: 'number' } } },
      required: ['event_id'],
      additionalProperties: false,
    };
    const id = await client.register(`${topic}-value`, { schemaType: 'JSON', schema: JSON.stringify(schema) });
    const serializer = new JsonSerializer(client, SerdeType.VALUE, { useLatestVersion: true, validate: true });
    const message = { event_id: 'e-7', numeric: { age: 41, income: 1234.5 } };
    const bytes = await serializer.serialize(topic, message);

    expect(wireHeader(bytes)).toEqual({ magic: 0, schemaId: id });
    expect(JSON.parse(bytes.subarray(5).toString('utf8'))).toEqual(message);
    const deserializer = new JsonDeserializer(new SchemaRegistryClient({ baseURLs: [url] }), SerdeType.VALUE, { validate: true });
    expect(await deserializer.deserialize(topic, bytes)).toEqual(message);
    await expect(serializer.serialize(topic, { numeric: {} })).rejects.toThrow(/Invalid message/);
  });

  it('auto-registers the schema a JSON serializer derives from the message', async () => {
    const topic = uniqueName('json_auto');
    const client = producerClient();
    const serializer = new JsonSerializer(client, SerdeType.VALUE, { autoRegisterSchemas: true });
    const bytes = await serializer.serialize(topic, { model: 'churn', value: 3 });
    const latest = await client.getLatestSchemaMetadata(`${topic}-value`);
    expect(latest).toMatchObject({ version: 1, schemaType: 'JSON' });
    expect(wireHeader(bytes).schemaId).toBe(latest.id);
    const deserializer = new JsonDeserializer(new SchemaRegistryClient({ baseURLs: [url] }), SerdeType.VALUE, {});
    expect(await deserializer.deserialize(topic, bytes)).toEqual({ model: 'churn', value: 3 });
  });
});
