import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compatibility, RestError, SchemaRegistryClient } from '@confluentinc/schemaregistry';
import { createClickHouse, migrate, type ClickHouse } from '../../../services/common/clickhouse/index.js';
import { silentLogger } from '../../../services/common/logger.js';
import { createSchemaRegistryService, type SchemaRegistryService } from '../../../services/schema-registry/index.js';
import { tempDir, uniqueName } from '../../support/index.js';

const record = (fields: object[], name = 'Event') => JSON.stringify({ type: 'record', name, namespace: 'driftloop.test', fields });
const V1 = record([{ name: 'id', type: 'string' }]);
const V2_WITH_DEFAULT = record([{ name: 'id', type: 'string' }, { name: 'score', type: 'double', default: 0 }]);
const V2_WITHOUT_DEFAULT = record([{ name: 'id', type: 'string' }, { name: 'score', type: 'double' }]);
const ADMIN_TOKEN = 'sr-admin-token';
/** Confluent clients speak Basic only: any user, the admin token as the password. */
const WRITER = { baseURLs: [] as string[], basicAuthCredentials: { credentialsSource: 'USER_INFO' as const, userInfo: `ci:${ADMIN_TOKEN}` } };

let ch: ClickHouse;
let service: SchemaRegistryService;
let url: string;
let client: SchemaRegistryClient;

beforeAll(async () => {
  ch = await createClickHouse({ url: `chdb:${await tempDir('driftloop-sr-client-')}`, database: 'registry_client', logger: silentLogger() });
  await migrate(ch, { logger: silentLogger() });
  service = await createSchemaRegistryService({ clickhouse: ch, logger: silentLogger(), writeAuth: { tokens: [ADMIN_TOKEN] } });
  url = await service.listen({ host: '127.0.0.1', port: 0 });
  client = writer();
});

afterAll(async () => {
  await service?.close();
  await ch?.close();
});

/** The RestError a call rejects with, so tests can assert status and Confluent error_code. */
async function restError(call: Promise<unknown>): Promise<RestError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(RestError);
  return err as RestError;
}

/** A client that may write (and has no cache of its own). */
function writer(): SchemaRegistryClient {
  return new SchemaRegistryClient({ ...WRITER, baseURLs: [url] });
}

/** A raw request, for what the client does not expose (verbose messages, status of odd bodies); with the admin token unless `authorization` says otherwise. */
async function raw(
  method: string,
  path: string,
  body?: unknown,
  authorization: string | undefined = `Bearer ${ADMIN_TOKEN}`,
): Promise<{ status: number; json: unknown; type: string | null }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/vnd.schemaregistry.v1+json' }),
      ...(authorization === undefined ? {} : { authorization }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, type: res.headers.get('content-type') };
}

describe('schema registry through the Confluent client', () => {
  it('registers a schema and serves it by id, as latest, in the version list and in the subject list', async () => {
    const subject = `${uniqueName('orders')}-value`;
    const id = await client.register(subject, { schemaType: 'AVRO', schema: V1 });
    expect(id).toBeGreaterThan(0);

    const byId = await client.getBySubjectAndId(subject, id);
    expect(byId.schema).toBe(V1);
    expect(byId.schemaType).toBeUndefined(); // Confluent omits schemaType for AVRO

    const latest = await client.getLatestSchemaMetadata(subject);
    expect(latest).toMatchObject({ subject, version: 1, id, schema: V1 });
    expect(await client.getSchemaMetadata(subject, 1)).toMatchObject({ subject, version: 1, id });
    expect(await client.getAllVersions(subject)).toEqual([1]);
    expect(await client.getAllSubjects()).toContain(subject);
    expect(await raw('GET', `/subjects?subjectPrefix=${subject.slice(0, -6)}`)).toMatchObject({ json: [subject] });
    expect(await raw('GET', `/subjects?subjectPrefix=${encodeURIComponent(':*:')}`)).toMatchObject({ json: expect.arrayContaining([subject]) });
  });

  it('gives an identical schema the same id and no new version, in the same subject and in others', async () => {
    const subject = `${uniqueName('same')}-value`;
    const spaced = JSON.stringify(JSON.parse(V1), null, 2);
    const first = await client.register(subject, { schema: V1 });
    const fresh = writer(); // no client-side cache
    expect(await fresh.register(subject, { schema: V1 })).toBe(first);
    expect(await fresh.register(subject, { schema: spaced })).toBe(first);
    expect(await fresh.getAllVersions(subject)).toEqual([1]);

    const other = `${uniqueName('same-other')}-value`;
    expect(await fresh.register(other, { schema: V1 })).toBe(first);
    expect(await fresh.getAllVersions(other)).toEqual([1]);
    expect(await raw('GET', `/schemas/ids/${first}/versions`)).toMatchObject({
      status: 200,
      json: expect.arrayContaining([{ subject, version: 1 }, { subject: other, version: 1 }]),
    });
  });

  it('rejects a change that breaks BACKWARD with 409 and stores nothing', async () => {
    const subject = `${uniqueName('breaking')}-value`;
    const id = await client.register(subject, { schema: V1 });
    const err = await restError(client.register(subject, { schema: V2_WITHOUT_DEFAULT }));
    expect(err.status).toBe(409);
    expect(err.errorCode).toBe(409);
    expect(err.message).toContain('score');

    expect(await client.getAllVersions(subject)).toEqual([1]);
    expect((await client.getLatestSchemaMetadata(subject)).id).toBe(id);
    // The rejected schema got no id either: looking it up finds nothing.
    expect((await restError(client.getId(subject, { schema: V2_WITHOUT_DEFAULT }))).errorCode).toBe(40403);
  });

  it('accepts a compatible evolution (a new field with a default) as version 2 with the next id', async () => {
    const subject = `${uniqueName('evolving')}-value`;
    const v1 = await client.register(subject, { schema: V1 });
    const v2 = await client.register(subject, { schema: V2_WITH_DEFAULT });
    expect(v2).not.toBe(v1);
    expect(await client.getAllVersions(subject)).toEqual([1, 2]);
    expect(await client.getLatestSchemaMetadata(subject)).toMatchObject({ version: 2, id: v2 });
    expect(await client.getVersion(subject, { schema: V1 })).toBe(1);
    expect(await client.getIdFullResponse(subject, { schema: V2_WITH_DEFAULT })).toMatchObject({ subject, version: 2, id: v2 });
  });

  it('answers compatibility checks against latest, a version and all versions, with messages when verbose', async () => {
    const subject = `${uniqueName('checked')}-value`;
    await client.register(subject, { schema: V1 });
    expect(await client.testSubjectCompatibility(subject, { schema: V2_WITH_DEFAULT })).toBe(true);
    expect(await client.testSubjectCompatibility(subject, { schema: V2_WITHOUT_DEFAULT })).toBe(false);
    expect(await client.testCompatibility(subject, 1, { schema: V2_WITHOUT_DEFAULT })).toBe(false);

    const verbose = await raw('POST', `/compatibility/subjects/${subject}/versions/latest?verbose=true`, { schema: V2_WITHOUT_DEFAULT });
    expect(verbose.status).toBe(200);
    expect(verbose.json).toMatchObject({ is_compatible: false, messages: [expect.stringContaining('score')] });
    const all = await raw('POST', `/compatibility/subjects/${subject}/versions`, { schema: V2_WITH_DEFAULT });
    expect(all.json).toEqual({ is_compatible: true });
    // Nothing registered yet: anything is compatible with latest.
    expect(await client.testSubjectCompatibility(`${uniqueName('empty')}-value`, { schema: V1 })).toBe(true);
  });

  it('gets and sets the compatibility level per subject and globally', async () => {
    const subject = `${uniqueName('configured')}-value`;
    expect(await client.getDefaultCompatibility()).toBe('BACKWARD');
    const missing = await restError(client.getCompatibility(subject));
    expect([missing.status, missing.errorCode]).toEqual([404, 40408]);
    expect(await raw('GET', `/config/${subject}?defaultToGlobal=true`)).toMatchObject({ json: { compatibilityLevel: 'BACKWARD' } });

    expect(await client.updateCompatibility(subject, Compatibility.NONE)).toBe('NONE');
    expect(await client.getCompatibility(subject)).toBe('NONE');
    await client.register(subject, { schema: V1 });
    // NONE lets the breaking change through.
    await client.register(subject, { schema: V2_WITHOUT_DEFAULT });
    expect(await client.getAllVersions(subject)).toEqual([1, 2]);

    expect(await client.updateCompatibility(subject, Compatibility.FORWARD_TRANSITIVE)).toBe('FORWARD_TRANSITIVE');
    expect(await client.getConfig(subject)).toEqual({ compatibilityLevel: 'FORWARD_TRANSITIVE' });
    expect(await client.getDefaultCompatibility()).toBe('BACKWARD');

    const invalid = await raw('PUT', `/config/${subject}`, { compatibility: 'SIDEWAYS' });
    expect(invalid).toMatchObject({ status: 422, json: { error_code: 42203 } });
    expect(await raw('DELETE', `/config/${subject}`)).toMatchObject({ status: 200, json: { compatibilityLevel: 'FORWARD_TRANSITIVE' } });
    expect((await restError(client.getCompatibility(subject))).errorCode).toBe(40408);
  });

  it('registers JSON schemas, with ids shared with nothing Avro', async () => {
    const subject = `${uniqueName('json')}-value`;
    const schema = JSON.stringify({ type: 'object', properties: { id: { type: 'string' } }, required: ['id'], additionalProperties: false });
    const id = await client.register(subject, { schemaType: 'JSON', schema });
    expect(await client.getBySubjectAndId(subject, id)).toMatchObject({ schemaType: 'JSON', schema });
    expect(await client.getLatestSchemaMetadata(subject)).toMatchObject({ schemaType: 'JSON', version: 1, id });

    const addsOptional = JSON.stringify({
      type: 'object',
      properties: { id: { type: 'string' }, note: { type: 'string' } },
      required: ['id'],
      additionalProperties: false,
    });
    expect(await client.register(subject, { schemaType: 'JSON', schema: addsOptional })).toBe(id + 1);
    const requiresNote = JSON.stringify({
      type: 'object',
      properties: { id: { type: 'string' }, note: { type: 'string' } },
      required: ['id', 'note'],
      additionalProperties: false,
    });
    const err = await restError(client.register(subject, { schemaType: 'JSON', schema: requiresNote }));
    expect([err.status, err.errorCode]).toEqual([409, 409]);
    expect(err.message).toContain('"note" is required');
  });

  it('answers Confluent error codes for missing subjects, versions and schemas, and for invalid input', async () => {
    const subject = `${uniqueName('errors')}-value`;
    expect(await restError(client.getLatestSchemaMetadata(`${uniqueName('nobody')}-value`))).toMatchObject({ status: 404, errorCode: 40401 });
    await client.register(subject, { schema: V1 });
    expect(await restError(client.getSchemaMetadata(subject, 7))).toMatchObject({ status: 404, errorCode: 40402 });
    expect(await restError(client.getBySubjectAndId(subject, 999_999))).toMatchObject({ status: 404, errorCode: 40403 });
    expect(await restError(client.register(subject, { schema: '{"type":"record","name":"Broken"}' }))).toMatchObject({ status: 422, errorCode: 42201 });
    expect(await restError(client.register(subject, { schema: 'not json' }))).toMatchObject({ status: 422, errorCode: 42201 });
    expect(await restError(client.register(subject, { schemaType: 'JSON', schema: '{"type":"nope"}' }))).toMatchObject({ status: 422, errorCode: 42201 });
    const protobuf = await restError(client.register(subject, { schemaType: 'PROTOBUF', schema: 'syntax = "proto3"; message M {}' }));
    expect(protobuf).toMatchObject({ status: 422, errorCode: 42201 });
    expect(protobuf.message).toContain('PROTOBUF');
    expect(await raw('GET', `/subjects/${subject}/versions/0`)).toMatchObject({ status: 422, json: { error_code: 42202 } });
    expect(await raw('GET', `/subjects/${subject}/versions/abc`)).toMatchObject({ status: 422, json: { error_code: 42202 } });
    const notJson = await raw('POST', `/subjects/${subject}/versions`, '{"schema": ');
    expect(notJson).toMatchObject({ status: 400, json: { error_code: 400 } });
    expect(notJson.type).toContain('application/vnd.schemaregistry.v1+json');
  });

  it('refuses bodies over the limit with 413 in Confluent format', async () => {
    const huge = { schema: JSON.stringify({ type: 'string', doc: 'x'.repeat(1024 * 1024 + 10) }) };
    expect(await raw('POST', `/subjects/${uniqueName('huge')}-value/versions`, huge)).toMatchObject({ status: 413, json: { error_code: 413 } });
  });

  it('soft-deletes, hides, and permanently deletes versions and subjects as Confluent does', async () => {
    const subject = `${uniqueName('deleted')}-value`;
    const id1 = await client.register(subject, { schema: V1 });
    await client.register(subject, { schema: V2_WITH_DEFAULT });

    expect((await restError(client.deleteSubjectVersion(subject, 1, true))).errorCode).toBe(40407);
    expect(await client.deleteSubjectVersion(subject, 1)).toBe(1);
    expect(await client.getAllVersions(subject)).toEqual([2]);
    expect(await raw('GET', `/subjects/${subject}/versions?deleted=true`)).toMatchObject({ json: [1, 2] });
    expect(await client.getSchemaMetadata(subject, 1, true)).toMatchObject({ version: 1, id: id1 });
    expect((await restError(client.getSchemaMetadata(subject, 1, false))).errorCode).toBe(40402);
    // A soft-deleted schema is still served by id (consumers may hold old messages).
    expect((await raw('GET', `/schemas/ids/${id1}`)).status).toBe(200);

    expect((await restError(client.deleteSubject(subject, true))).errorCode).toBe(40405);
    expect(await client.deleteSubject(subject)).toEqual([2]);
    expect(await client.getAllSubjects()).not.toContain(subject);
    expect(await raw('GET', '/subjects?deleted=true')).toMatchObject({ json: expect.arrayContaining([subject]) });
    expect((await restError(client.deleteSubject(subject))).errorCode).toBe(40404);
    expect(await client.deleteSubject(subject, true)).toEqual([1, 2]);
    expect((await restError(client.getAllVersions(subject))).errorCode).toBe(40401);

    // Versions start again at 1 after a permanent delete; the schema keeps its id.
    const again = writer();
    expect(await again.register(subject, { schema: V1 })).toBe(id1);
    expect(await again.getAllVersions(subject)).toEqual([1]);
  });

  it('stores references and serves them with the schema', async () => {
    const shared = `${uniqueName('shared')}-value`;
    await client.register(shared, { schema: record([{ name: 'currency', type: 'string' }], 'Money') });
    const subject = `${uniqueName('referrer')}-value`;
    const schema = record([{ name: 'price', type: 'driftloop.test.Money' }], 'Order');
    const references = [{ name: 'driftloop.test.Money', subject: shared, version: 1 }];
    const id = await client.register(subject, { schema, references });
    expect(await client.getBySubjectAndId(subject, id)).toMatchObject({ schema, references });
    expect(await raw('GET', `/subjects/${shared}/versions/1/referencedby`)).toMatchObject({ json: [id] });
    expect(await raw('DELETE', `/subjects/${shared}/versions/1`)).toMatchObject({ status: 422, json: { error_code: 42206 } });
    const dangling = await restError(client.register(`${uniqueName('dangling')}-value`, { schema, references: [{ ...references[0]!, version: 9 }] }));
    expect(dangling.errorCode).toBe(42201);
  });

  it('finds the latest version carrying given metadata properties', async () => {
    const subject = `${uniqueName('tagged')}-value`;
    await client.register(subject, { schema: V1, metadata: { properties: { owner: 'ml', stage: 'prod' } } });
    const id2 = await client.register(subject, { schema: V2_WITH_DEFAULT, metadata: { properties: { owner: 'ml' } } });
    expect(await client.getLatestWithMetadata(subject, { owner: 'ml' })).toMatchObject({ version: 2, id: id2 });
    expect(await client.getLatestWithMetadata(subject, { owner: 'ml', stage: 'prod' })).toMatchObject({
      version: 1,
      metadata: { properties: { owner: 'ml', stage: 'prod' } },
    });
    expect(await restError(client.getLatestWithMetadata(subject, { owner: 'ops' }))).toMatchObject({ status: 404, errorCode: 40403 });
  });
});

describe('schema registry writes without Basic auth configured', () => {
  it('refuses a client without credentials every write with 401 and error_code 40101, and serves it reads, lookups and compatibility checks', async () => {
    const subject = `${uniqueName('guarded')}-value`;
    const id = await client.register(subject, { schema: V1 });
    const anonymous = new SchemaRegistryClient({ baseURLs: [url] });

    const refused = await restError(anonymous.register(subject, { schema: V2_WITH_DEFAULT }));
    expect([refused.status, refused.errorCode]).toEqual([401, 40101]);
    expect(refused.message).toContain('DRIFTLOOP_ADMIN_TOKEN');
    expect(await restError(anonymous.register(`${uniqueName('guarded-new')}-value`, { schema: V1 }))).toMatchObject({ status: 401, errorCode: 40101 });
    expect(await restError(anonymous.updateCompatibility(subject, Compatibility.NONE))).toMatchObject({ status: 401, errorCode: 40101 });
    expect(await restError(anonymous.updateDefaultCompatibility(Compatibility.NONE))).toMatchObject({ status: 401, errorCode: 40101 });
    expect(await restError(anonymous.deleteSubjectVersion(subject, 1))).toMatchObject({ status: 401, errorCode: 40101 });
    expect(await restError(anonymous.deleteSubject(subject))).toMatchObject({ status: 401, errorCode: 40101 });
    const wrong = new SchemaRegistryClient({ baseURLs: [url], basicAuthCredentials: { credentialsSource: 'USER_INFO', userInfo: `ci:${ADMIN_TOKEN}x` } });
    expect(await restError(wrong.register(subject, { schema: V2_WITH_DEFAULT }))).toMatchObject({ status: 401, errorCode: 40101 });

    // Nothing was written, and reading needs nothing.
    expect(await anonymous.getAllVersions(subject)).toEqual([1]);
    expect(await anonymous.getLatestSchemaMetadata(subject)).toMatchObject({ version: 1, id });
    expect(await anonymous.getBySubjectAndId(subject, id)).toMatchObject({ schema: V1 });
    expect(await anonymous.getAllSubjects()).toContain(subject);
    expect(await anonymous.getId(subject, { schema: V1 })).toBe(id);
    expect(await anonymous.testSubjectCompatibility(subject, { schema: V2_WITH_DEFAULT })).toBe(true);
    expect(await anonymous.getDefaultCompatibility()).toBe('BACKWARD');
  });
});
