import { Writable } from 'node:stream';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TOPICS, valueSubject } from '../../../schemas/index.js';
import { startRuntime, type Runtime } from '../../../services/cli/runtime.js';
import { commonOptions, createLogger, loadConfig } from '../../../services/common/index.js';
import { kafkaBrokers, tempDir, uniqueName } from '../../support/index.js';

const ADMIN_TOKEN = 'runtime-admin-token';
const SCHEMA = JSON.stringify({ type: 'record', name: 'Probe', fields: [{ name: 'at', type: 'long' }] });

const running: Runtime[] = [];
let dir: string;
beforeAll(async () => {
  dir = await tempDir('driftloop-sr-runtime-');
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.close();
});

/** A runtime serving the embedded registry, every log line it writes (trace level) kept in `lines`. */
async function start(env: Record<string, string>): Promise<{ runtime: Runtime; lines: string[] }> {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const config = loadConfig(commonOptions, {
    KAFKA_BROKERS: kafkaBrokers().join(','),
    // chDB allows one data directory per process: every runtime of this file opens the same one, one at a time.
    CLICKHOUSE_URL: `chdb:${dir}`,
    HTTP_PORT: '0',
    TOPIC_PREFIX: `${uniqueName('srw')}.`,
    ...env,
  });
  const runtime = await startRuntime(config, createLogger({ service: 'runtime-writes', level: 'trace', destination }));
  running.push(runtime);
  return { runtime, lines };
}

/** The per-process credential the runtime gave its own registry client (Basic `driftloop:<credential>`). */
function ownCredential(runtime: Runtime): string {
  const userInfo = runtime.registryClient.config().basicAuthCredentials?.userInfo ?? '';
  expect(userInfo).toMatch(/^driftloop:/);
  return userInfo.slice('driftloop:'.length);
}

async function register(runtime: Runtime, subject: string, authorization?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${runtime.schemaRegistryUrl}/subjects/${subject}/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/vnd.schemaregistry.v1+json', ...(authorization ? { authorization } : {}) },
    body: JSON.stringify({ schema: SCHEMA }),
  });
  return { status: res.status, json: await res.json() };
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('the runtime and its embedded schema registry', () => {
  it('registers its own schemas with a per-process credential while refusing anonymous writes, with no admin token configured', async () => {
    const { runtime, lines } = await start({});
    const prefix = runtime.config.topicPrefix;
    const subjects = (await (await fetch(`${runtime.schemaRegistryUrl}/subjects`)).json()) as string[];
    expect(subjects).toEqual(expect.arrayContaining(TOPICS.map((t) => valueSubject(prefix, t))));

    expect(await register(runtime, `${prefix}probe-value`)).toMatchObject({ status: 401, json: { error_code: 40101 } });
    expect(await register(runtime, `${prefix}probe-value`, 'Bearer ')).toMatchObject({ status: 401, json: { error_code: 40101 } });
    expect(await register(runtime, `${prefix}probe-value`, basic('driftloop', ''))).toMatchObject({ status: 401, json: { error_code: 40101 } });

    const credential = ownCredential(runtime);
    expect(credential.length).toBeGreaterThanOrEqual(32);
    expect(await register(runtime, `${prefix}probe-value`, basic('driftloop', credential))).toMatchObject({ status: 200 });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('')).not.toContain(credential);
    expect(JSON.stringify(runtime.config)).not.toContain(credential);
  });

  it('accepts the admin token for writes, gives each process a credential of its own, and opens writes when told to', async () => {
    const first = await start({ DRIFTLOOP_ADMIN_TOKEN: ADMIN_TOKEN });
    const firstCredential = ownCredential(first.runtime);
    const prefix = first.runtime.config.topicPrefix;
    expect(await register(first.runtime, `${prefix}probe-value`)).toMatchObject({ status: 401 });
    expect(await register(first.runtime, `${prefix}probe-value`, `Bearer ${ADMIN_TOKEN}`)).toMatchObject({ status: 200 });
    expect(first.lines.join('')).not.toContain(firstCredential);
    await running.pop()!.close();

    const opened = await start({ SCHEMA_REGISTRY_OPEN_WRITES: 'true' });
    expect(ownCredential(opened.runtime)).not.toBe(firstCredential);
    expect(await register(opened.runtime, `${opened.runtime.config.topicPrefix}probe-value`)).toMatchObject({ status: 200 });
  });
});
