import { afterEach, describe, expect, it } from 'vitest';
import { SchemaRegistryClient } from '@confluentinc/schemaregistry';
import { createClickHouse, migrate, type ClickHouse } from '../../../services/common/clickhouse/index.js';
import { silentLogger } from '../../../services/common/logger.js';
import { createSchemaRegistryService, type SchemaRegistryService } from '../../../services/schema-registry/index.js';
import { tempDir } from '../../support/index.js';

interface Running {
  ch: ClickHouse;
  service: SchemaRegistryService;
  client: SchemaRegistryClient;
}

const open: Running[] = [];
const ADMIN_TOKEN = 'restart-admin-token';

/** Opens chDB on `dir`, migrates, and serves a registry on a fresh port: what a process start does. */
async function start(dir: string): Promise<Running> {
  const ch = await createClickHouse({ url: `chdb:${dir}`, database: 'registry_restart', logger: silentLogger() });
  await migrate(ch, { logger: silentLogger() });
  const service = await createSchemaRegistryService({ clickhouse: ch, logger: silentLogger(), writeAuth: { tokens: [ADMIN_TOKEN] } });
  const client = new SchemaRegistryClient({
    baseURLs: [await service.listen()],
    basicAuthCredentials: { credentialsSource: 'USER_INFO', userInfo: `driftloop:${ADMIN_TOKEN}` },
  });
  const running = { ch, service, client };
  open.push(running);
  return running;
}

async function stop(r: Running): Promise<void> {
  open.splice(open.indexOf(r), 1);
  await r.service.close();
  await r.ch.close();
}

afterEach(async () => {
  for (const r of [...open]) await stop(r);
});

const avro = (fields: object[]) => JSON.stringify({ type: 'record', name: 'Label', fields });

describe('schema registry restart', () => {
  it('serves the same subjects, versions, ids, configs and deletions after a restart on the same directory', async () => {
    const dir = await tempDir('driftloop-sr-restart-');
    const first = await start(dir);
    const v1 = avro([{ name: 'label', type: 'string' }]);
    const v2 = avro([{ name: 'label', type: 'string' }, { name: 'weight', type: 'double', default: 1 }]);
    const json = JSON.stringify({ type: 'object', properties: { a: { type: 'integer' } } });
    expect(await first.client.register('labels-value', { schema: v1 })).toBe(1);
    expect(await first.client.register('labels-value', { schema: v2 })).toBe(2);
    expect(await first.client.register('other-value', { schemaType: 'JSON', schema: json })).toBe(3);
    expect(await first.client.register('copy-value', { schema: v1 })).toBe(1);
    await first.client.updateCompatibility('labels-value', 'FULL' as never);
    await first.client.updateDefaultCompatibility('FORWARD' as never);
    await first.client.deleteSubjectVersion('copy-value', 1);
    await stop(first);

    const second = await start(dir);
    const c = second.client;
    expect(await c.getAllSubjects()).toEqual(['labels-value', 'other-value']);
    expect(await c.getAllVersions('labels-value')).toEqual([1, 2]);
    expect(await c.getSchemaMetadata('labels-value', 1)).toMatchObject({ id: 1, schema: v1 });
    expect(await c.getLatestSchemaMetadata('labels-value')).toMatchObject({ version: 2, id: 2, schema: v2 });
    expect(await c.getBySubjectAndId('other-value', 3)).toMatchObject({ schemaType: 'JSON', schema: json });
    expect(await c.getSchemaMetadata('copy-value', 1, true)).toMatchObject({ version: 1, id: 1 });
    await expect(c.getAllVersions('copy-value')).rejects.toMatchObject({ errorCode: 40401 });
    expect(await c.getCompatibility('labels-value')).toBe('FULL');
    expect(await c.getDefaultCompatibility()).toBe('FORWARD');

    // Registering again neither duplicates nor reuses ids; new ones continue after the highest.
    expect(await c.register('labels-value', { schema: v2 })).toBe(2);
    expect(await c.getAllVersions('labels-value')).toEqual([1, 2]);
    const v3 = avro([{ name: 'label', type: 'string' }, { name: 'weight', type: 'double', default: 1 }, { name: 'src', type: 'string', default: '' }]);
    expect(await c.register('labels-value', { schema: v3 })).toBe(4);
    expect(await c.getAllVersions('labels-value')).toEqual([1, 2, 3]);
    // The soft-deleted version number is not handed out again.
    expect(await c.register('copy-value', { schema: v1 })).toBe(1);
    expect(await c.getAllVersions('copy-value')).toEqual([2]);
  });

  it('answers 50001 when ClickHouse refuses a write, and serves nothing it did not store', async () => {
    const running = await start(await tempDir('driftloop-sr-store-error-'));
    const url = running.client.config().baseURLs[0]!;
    await running.ch.command('DROP TABLE {db:Identifier}.schema_registry_versions');

    // Raw HTTP: the Confluent client would retry a 500 with backoff.
    const res = await fetch(`${url}/subjects/broken-value/versions`, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', authorization: `Bearer ${ADMIN_TOKEN}` },
      body: JSON.stringify({ schema: '"string"' }),
    });
    expect(res.status).toBe(500);
    expect(await res.json()).toMatchObject({ error_code: 50001, message: expect.stringContaining('schema_registry_versions') });
    await expect(running.client.getAllSubjects()).resolves.toEqual([]);
    await expect(running.client.getBySubjectAndId('broken-value', 1)).rejects.toMatchObject({ status: 404, errorCode: 40403 });
  });
});
