import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestError, SchemaRegistryClient } from '@confluentinc/schemaregistry';
import { createClickHouse, migrate, type ClickHouse } from '../../../services/common/clickhouse/index.js';
import { createHttpServer, type HttpServer } from '../../../services/common/http/index.js';
import { silentLogger } from '../../../services/common/logger.js';
import { createMetricsRegistry } from '../../../services/common/metrics.js';
import {
  createSchemaRegistryService,
  type RegistryWriteAuth,
  type SchemaRegistryService,
} from '../../../services/schema-registry/index.js';
import { tempDir } from '../../support/index.js';

const AUTH = { user: 'producer', password: 's3cret-pass' };
const ADMIN_TOKEN = 'adm1n-t0ken';
const SCHEMA = JSON.stringify({ type: 'record', name: 'Ping', fields: [{ name: 'at', type: 'long' }] });
const EVOLVED = JSON.stringify({ type: 'record', name: 'Ping', fields: [{ name: 'at', type: 'long' }, { name: 'n', type: 'int', default: 0 }] });

/** One registry per mount, each in a database of its own (ids are per registry), all on one chDB directory. */
const stores: ClickHouse[] = [];
const services: SchemaRegistryService[] = [];
let http: HttpServer;
let base: string;

beforeAll(async () => {
  const dir = await tempDir('driftloop-sr-shared-');
  http = createHttpServer({ logger: silentLogger(), registry: createMetricsRegistry({ processMetrics: false }) });
  const mount = async (prefix: string, database: string, options: { auth?: typeof AUTH; writeAuth?: RegistryWriteAuth }): Promise<void> => {
    const ch = await createClickHouse({ url: `chdb:${dir}`, database, logger: silentLogger() });
    stores.push(ch);
    await migrate(ch, { logger: silentLogger() });
    const service = await createSchemaRegistryService({ clickhouse: ch, logger: silentLogger(), ...options });
    services.push(service);
    await service.registerRoutes(http.app, { prefix });
  };
  // Basic credentials configured: they guard every route, and the admin token is not consulted.
  await mount('/schema-registry', 'registry_shared', { auth: AUTH, writeAuth: { tokens: [ADMIN_TOKEN] } });
  // No Basic credentials: reads open, writes need the admin token.
  await mount('/guarded', 'registry_guarded', { writeAuth: { tokens: [ADMIN_TOKEN] } });
  // No Basic credentials and no admin token (DRIFTLOOP_ADMIN_TOKEN empty): writes refused.
  await mount('/closed', 'registry_closed', { writeAuth: { tokens: [''] } });
  // Writes left to the default.
  await mount('/default', 'registry_default', {});
  // SCHEMA_REGISTRY_OPEN_WRITES=true.
  await mount('/open', 'registry_open', { writeAuth: 'open' });
  base = await http.listen();
});

afterAll(async () => {
  await http?.close();
  for (const s of services) await s.close();
  for (const ch of stores) await ch.close();
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** A request to the registry mounted at `prefix`, with `authorization` when given; status, body and challenge. */
async function call(
  prefix: string,
  method: string,
  path: string,
  options: { body?: unknown; authorization?: string } = {},
): Promise<{ status: number; json: unknown; challenge: string | null }> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = CONTENT_TYPE;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  const res = await fetch(`${base}${prefix}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, challenge: res.headers.get('www-authenticate') };
}

/** Every write route, as [method, path, body], against `subject` (registered at version 1 where a delete needs it). */
function writes(subject: string): [string, string, unknown][] {
  return [
    ['POST', `/subjects/${subject}/versions`, { schema: SCHEMA }],
    ['PUT', `/config/${subject}`, { compatibility: 'NONE' }],
    ['DELETE', `/config/${subject}`, undefined],
    ['PUT', '/config', { compatibility: 'FULL' }],
    ['DELETE', '/config', undefined],
    ['DELETE', `/subjects/${subject}/versions/1`, undefined],
    ['DELETE', `/subjects/${subject}`, undefined],
  ];
}

/** Reads, lookups and compatibility checks: open whenever Basic credentials are not configured. */
function reads(subject: string): [string, string, unknown][] {
  return [
    ['GET', '/subjects', undefined],
    ['GET', `/subjects/${subject}/versions`, undefined],
    ['GET', `/subjects/${subject}/versions/latest`, undefined],
    ['GET', '/schemas/ids/1', undefined],
    ['GET', '/schemas/types', undefined],
    ['POST', `/subjects/${subject}`, { schema: SCHEMA }],
    ['POST', `/compatibility/subjects/${subject}/versions/latest`, { schema: SCHEMA }],
    ['POST', `/compatibility/subjects/${subject}/versions`, { schema: SCHEMA }],
    ['GET', '/config', undefined],
    ['GET', `/config/${subject}?defaultToGlobal=true`, undefined],
    ['GET', '/mode', undefined],
  ];
}

describe('schema registry on the shared HTTP server, with Basic auth', () => {
  it('serves Confluent clients under a path prefix when they present the credentials', async () => {
    const client = new SchemaRegistryClient({
      baseURLs: [`${base}/schema-registry`],
      basicAuthCredentials: { credentialsSource: 'USER_INFO', userInfo: `${AUTH.user}:${AUTH.password}` },
    });
    const id = await client.register('pings-value', { schema: SCHEMA });
    expect(id).toBe(1);
    expect(await client.getLatestSchemaMetadata('pings-value')).toMatchObject({ version: 1, id: 1, schema: SCHEMA });
  });

  it('answers 401 in Confluent format without credentials or with wrong ones', async () => {
    const anonymous = new SchemaRegistryClient({ baseURLs: [`${base}/schema-registry`] });
    const err = await anonymous.getAllSubjects().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RestError);
    expect(err).toMatchObject({ status: 401, errorCode: 401 });

    for (const authorization of [basic(AUTH.user, 'wrong'), basic('someone', AUTH.password), basic(AUTH.user, `${AUTH.password}x`), 'Bearer abc']) {
      const res = await fetch(`${base}/schema-registry/subjects`, { headers: { authorization } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toContain('Basic');
      expect(await res.json()).toEqual({ error_code: 401, message: 'Unauthorized' });
    }
    const ok = await fetch(`${base}/schema-registry/subjects`, { headers: { authorization: basic(AUTH.user, AUTH.password) } });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(['pings-value']);
  });

  it('keeps driftloop error format and open health endpoints outside the registry routes', async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    const missing = await fetch(`${base}/no-such-route`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: 'DL_NOT_FOUND' });

    const registryMiss = await fetch(`${base}/schema-registry/subjects/absent-value/versions`, {
      headers: { authorization: basic(AUTH.user, AUTH.password) },
    });
    expect(registryMiss.status).toBe(404);
    expect(await registryMiss.json()).toEqual({ error_code: 40401, message: "Subject 'absent-value' not found." });
  });
});

describe('schema registry writes without Basic auth configured', () => {
  const refusal = { error_code: 40101, message: expect.stringMatching(/Bearer.*DRIFTLOOP_ADMIN_TOKEN.*SCHEMA_REGISTRY_OPEN_WRITES/s) };

  it('refuses every write without credentials or with wrong ones, with 401 in Confluent format, and stores nothing', async () => {
    const subject = 'guarded-value';
    const registered = await call('/guarded', 'POST', `/subjects/${subject}/versions`, { body: { schema: SCHEMA }, authorization: `Bearer ${ADMIN_TOKEN}` });
    expect(registered).toMatchObject({ status: 200, json: { id: 1 } });

    const wrong = [undefined, `Bearer ${ADMIN_TOKEN}x`, `Bearer ${ADMIN_TOKEN.slice(0, -1)}`, 'Bearer ', basic('admin', 'nope'), basic(ADMIN_TOKEN, ''), `Basic ${ADMIN_TOKEN}`, ADMIN_TOKEN];
    for (const [method, path, body] of writes(subject)) {
      for (const authorization of wrong) {
        const res = await call('/guarded', method, path, { body, authorization });
        expect(res, `${method} ${path} with ${authorization ?? 'nothing'}`).toMatchObject({ status: 401, json: refusal });
        expect(res.challenge).toMatch(/Basic.*Bearer/);
      }
    }
    expect(await call('/guarded', 'GET', `/subjects/${subject}/versions`)).toMatchObject({ status: 200, json: [1] });
    expect(await call('/guarded', 'GET', '/config')).toMatchObject({ json: { compatibilityLevel: 'BACKWARD' } });
  });

  it('accepts writes with Bearer and the admin token, in any case of the scheme, or with Basic whose password is the token', async () => {
    const subject = 'tokened-value';
    const register = (schema: string, authorization: string) => call('/guarded', 'POST', `/subjects/${subject}/versions`, { body: { schema }, authorization });
    expect(await register(SCHEMA, `Bearer ${ADMIN_TOKEN}`)).toMatchObject({ status: 200, json: { id: expect.any(Number) } });
    expect(await register(SCHEMA, `bearer ${ADMIN_TOKEN}`)).toMatchObject({ status: 200 });
    expect(await register(SCHEMA, `BEARER ${ADMIN_TOKEN}`)).toMatchObject({ status: 200 });
    expect(await register(EVOLVED, basic('any-user', ADMIN_TOKEN))).toMatchObject({ status: 200 });
    expect(await call('/guarded', 'GET', `/subjects/${subject}/versions`)).toMatchObject({ json: [1, 2] });

    const asAdmin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    expect(await call('/guarded', 'PUT', `/config/${subject}`, { body: { compatibility: 'NONE' }, ...asAdmin })).toMatchObject({ status: 200, json: { compatibility: 'NONE' } });
    expect(await call('/guarded', 'DELETE', `/config/${subject}`, { authorization: basic('', ADMIN_TOKEN) })).toMatchObject({ status: 200 });
    expect(await call('/guarded', 'DELETE', `/subjects/${subject}/versions/1`, asAdmin)).toMatchObject({ status: 200, json: 1 });
    expect(await call('/guarded', 'DELETE', `/subjects/${subject}`, asAdmin)).toMatchObject({ status: 200, json: [2] });

    // The Confluent client, as producers use it: Basic, the token as the password.
    const client = new SchemaRegistryClient({
      baseURLs: [`${base}/guarded`],
      basicAuthCredentials: { credentialsSource: 'USER_INFO', userInfo: `producer:${ADMIN_TOKEN}` },
    });
    expect(await client.register('client-value', { schema: SCHEMA })).toBeGreaterThan(0);
    expect(await client.updateDefaultCompatibility('FULL' as never)).toBe('FULL');
    expect(await client.updateDefaultCompatibility('BACKWARD' as never)).toBe('BACKWARD');
  });

  it('serves reads, lookups and compatibility checks to anyone', async () => {
    const subject = 'readable-value';
    await call('/guarded', 'POST', `/subjects/${subject}/versions`, { body: { schema: SCHEMA }, authorization: `Bearer ${ADMIN_TOKEN}` });
    for (const [method, path, body] of reads(subject)) {
      const res = await call('/guarded', method, path, { body });
      expect(res.status, `${method} ${path}`).toBe(200);
    }
    const anonymous = new SchemaRegistryClient({ baseURLs: [`${base}/guarded`] });
    expect(await anonymous.getLatestSchemaMetadata(subject)).toMatchObject({ version: 1, schema: SCHEMA });
    expect(await anonymous.getId(subject, { schema: SCHEMA })).toBeGreaterThan(0);
    // A subject of its own: the client answers a schema it has just looked up from its cache, without asking.
    const refused = await anonymous.register('unregistered-value', { schema: SCHEMA }).then(() => undefined, (e: unknown) => e);
    expect(refused).toBeInstanceOf(RestError);
    expect(refused).toMatchObject({ status: 401, errorCode: 40101 });
  });

  it('refuses every write when no admin token is configured, whatever is presented, and by default', async () => {
    for (const prefix of ['/closed', '/default']) {
      for (const [method, path, body] of writes('closed-value')) {
        for (const authorization of [undefined, 'Bearer ', 'Bearer', basic('', ''), basic('driftloop', ''), `Bearer ${ADMIN_TOKEN}`]) {
          expect(await call(prefix, method, path, { body, authorization }), `${prefix} ${method} ${path}`).toMatchObject({ status: 401, json: refusal });
        }
      }
      expect(await call(prefix, 'GET', '/subjects')).toMatchObject({ status: 200, json: [] });
      expect(await call(prefix, 'POST', '/compatibility/subjects/closed-value/versions', { body: { schema: SCHEMA } })).toMatchObject({ status: 200 });
    }
  });

  it('lets anyone write when writes are opened explicitly (SCHEMA_REGISTRY_OPEN_WRITES)', async () => {
    const anonymous = new SchemaRegistryClient({ baseURLs: [`${base}/open`] });
    expect(await anonymous.register('open-value', { schema: SCHEMA })).toBe(1);
    // A second version, so deleting version 1 leaves the subject to delete after it.
    expect(await anonymous.register('open-value', { schema: EVOLVED })).toBe(2);
    for (const [method, path, body] of writes('open-value').slice(1)) {
      expect((await call('/open', method, path, { body })).status, `${method} ${path}`).toBe(200);
    }
  });

  it('keeps Basic auth on every route when user and password are configured, the admin token included', async () => {
    for (const [method, path, body] of [...writes('basic-value'), ...reads('basic-value')]) {
      for (const authorization of [undefined, `Bearer ${ADMIN_TOKEN}`, basic('any-user', ADMIN_TOKEN)]) {
        const res = await call('/schema-registry', method, path, { body, authorization });
        expect(res, `${method} ${path} with ${authorization ?? 'nothing'}`).toMatchObject({ status: 401, json: { error_code: 401, message: 'Unauthorized' } });
        expect(res.challenge).toBe('Basic realm="SchemaRegistry"');
      }
    }
  });
});
