import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestError, SchemaRegistryClient } from '@confluentinc/schemaregistry';
import { createClickHouse, migrate, type ClickHouse } from '../../../services/common/clickhouse/index.js';
import { createHttpServer, type HttpServer } from '../../../services/common/http/index.js';
import { silentLogger } from '../../../services/common/logger.js';
import { createMetricsRegistry } from '../../../services/common/metrics.js';
import { createSchemaRegistryService, type SchemaRegistryService } from '../../../services/schema-registry/index.js';
import { tempDir } from '../../support/index.js';

const AUTH = { user: 'producer', password: 's3cret-pass' };
const SCHEMA = JSON.stringify({ type: 'record', name: 'Ping', fields: [{ name: 'at', type: 'long' }] });

let ch: ClickHouse;
let service: SchemaRegistryService;
let http: HttpServer;
let base: string;

beforeAll(async () => {
  ch = await createClickHouse({ url: `chdb:${await tempDir('driftloop-sr-shared-')}`, database: 'registry_shared', logger: silentLogger() });
  await migrate(ch, { logger: silentLogger() });
  service = await createSchemaRegistryService({ clickhouse: ch, logger: silentLogger(), auth: AUTH });
  http = createHttpServer({ logger: silentLogger(), registry: createMetricsRegistry({ processMetrics: false }) });
  await service.registerRoutes(http.app, { prefix: '/schema-registry' });
  base = await http.listen();
});

afterAll(async () => {
  await http?.close();
  await service?.close();
  await ch?.close();
});

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

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
