import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { RegistryService } from '../../../services/registry/index.js';
import { tempDir, uniqueName } from '../../support/index.js';
import { runCli } from '../../support/process.js';
import { readTopicEvents, startServiceOverHttp } from '../../support/runtime.js';

const ADMIN = 'registry-admin-token';
let runtime: Runtime;
let registry: RegistryService;

async function artifact(body: string): Promise<{ path: string; sha256: string }> {
  const path = join(await tempDir(), 'model.json');
  await writeFile(path, body);
  return { path, sha256: createHash('sha256').update(body).digest('hex') };
}

async function register(runId: string): Promise<string> {
  const a = await artifact(`{"run":"${runId}"}`);
  const v = await registry.register({
    model: 'churn', runId, dataVersion: `sha256:${runId}`, evaluationId: `eval-${runId}`, cause: { kind: 'drift', ref: `report-${runId}` },
    artifacts: { model: a.path }, modelSha256: a.sha256, metrics: { accuracy: 0.8 },
  });
  return v.version;
}

const call = async (method: string, path: string, body?: unknown, token: string | null = ADMIN): Promise<{ status: number; json: Record<string, unknown> }> => {
  const res = await fetch(`${runtime.url}${path}`, {
    method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  ({ runtime, service: registry } = await startServiceOverHttp('registry', {
    DRIFTLOOP_ADMIN_TOKEN: ADMIN, REGISTRY_APPROVAL: 'manual', REGISTRY_ARTIFACTS_DIR: await tempDir(), REGISTRY_GROUP_ID: uniqueName('registry'),
  }));
}, 60_000);

afterAll(async () => {
  await registry?.stop();
  await runtime?.close();
});

describe('registry HTTP API', () => {
  it('holds versions for manual approval, approves with who and why, and moves aliases with their history', async () => {
    const v1 = await register('r1');
    const v2 = await register('r2');
    expect([v1, v2]).toEqual(['1', '2']);
    // Registering the same evaluation again returns the version already there.
    expect(await register('r1')).toBe('1');

    expect((await call('POST', '/registry/models/churn/versions/1/approve', { reason: 'looks good' }, null)).status).toBe(401);
    expect(await call('POST', '/registry/models/churn/versions/1/approve', {})).toMatchObject({ status: 400, json: { message: '/reason: must be a non-empty string of at most 1000 characters' } });
    expect(await call('PUT', '/registry/models/churn/aliases/champion', { version: '1', reason: 'x' })).toMatchObject({ status: 409, json: { message: 'version 1 of model churn is pending: only an approved version can take an alias' } });
    expect(await call('POST', '/registry/models/churn/versions/1/approve', { reason: 'looks good', actor: 'alice' })).toMatchObject({ status: 200, json: { version: { status: 'approved', actor: 'alice', reason: 'looks good' } } });
    expect(await call('PUT', '/registry/models/churn/aliases/champion', { version: '1', reason: 'first', actor: 'alice' })).toMatchObject({ status: 200, json: { alias: 'champion', version: '1', previousVersion: null } });
    expect((await call('POST', '/registry/models/churn/versions/2/reject', { reason: 'slice regression', actor: 'bob' })).json).toMatchObject({ version: { status: 'rejected' } });
    expect((await call('PUT', '/registry/models/churn/aliases/champion', { version: '2', reason: 'try' })).status).toBe(409);
    expect((await call('POST', '/registry/models/churn/versions/1/tags', { tags: { owner: 'risk-team' } })).json).toMatchObject({ version: { tags: { owner: 'risk-team' } } });

    const model = await call('GET', '/registry/models/churn', undefined, null);
    expect((model.json.versions as { version: string; status: string }[]).map((v) => [v.version, v.status])).toEqual([['2', 'rejected'], ['1', 'approved']]);
    expect(model.json.aliases).toMatchObject([{ alias: 'champion', version: '1' }]);
    const one = await call('GET', '/registry/models/churn/versions/1', undefined, null);
    expect(one.json).toMatchObject({ version: { lineage: { run_id: 'r1', data_version: 'sha256:r1', evaluation_id: 'eval-r1', cause_ref: 'report-r1' } }, aliases: ['champion'] });
    expect((await call('GET', '/registry/models/churn/aliases/history', undefined, null)).json.history).toMatchObject([{ alias: 'champion', version: '1', actor: 'alice', reason: 'first' }]);

    const events = (await readTopicEvents(runtime, 'registry-events', (e) => e.model === 'churn')).map((r) => r.event);
    expect(events.map((e) => [e.action, e.version, e.actor])).toEqual([
      ['registered', '1', 'evaluator'], ['registered', '2', 'evaluator'], ['approved', '1', 'alice'], ['alias_set', '1', 'alice'], ['rejected', '2', 'bob'],
    ]);
  });

  it('is CLI commands: models, models show, approve and reject', async () => {
    const cli = (args: string[], env: Record<string, string> = {}) => runCli(runtime.url, args, env);
    expect((await cli(['models'])).out).toMatch(/^churn\s+2\s+2\s+champion=1$/m);
    const show = await cli(['models', 'show', 'churn']);
    expect(show.out).toMatch(/^1\s+approved\s+champion\s+r1\s+drift report-r1/m);
    expect(show.out).toMatch(/^2\s+rejected\s+r2/m);
    expect(await cli(['approve', 'churn', '2', '--reason', 'ok'])).toMatchObject({ code: 2, out: expect.stringMatching(/config DRIFTLOOP_ADMIN_TOKEN: approve is an admin endpoint/) });
    expect(await cli(['approve', 'churn', '2', '--reason', 'ok'], { DRIFTLOOP_ADMIN_TOKEN: ADMIN })).toMatchObject({ code: 1, out: expect.stringMatching(/409 version 2 of model churn is rejected: it cannot be approved/) });
    expect(await cli(['reject', 'churn', '1', '--reason', 'recall too low'], { DRIFTLOOP_ADMIN_TOKEN: ADMIN })).toMatchObject({ code: 1, out: expect.stringMatching(/409 version 1 of model churn is the champion: promote or roll back to another version first/) });
    const v3 = await register('r3');
    expect(await cli(['reject', 'churn', v3, '--reason', 'recall too low', '--actor', 'carol'], { DRIFTLOOP_ADMIN_TOKEN: ADMIN })).toMatchObject({ code: 0, out: 'model churn version 3: rejected by carol (recall too low)\n' });
    expect((await cli(['approve', 'churn', '1'])).code).toBe(2);
  });

  it('answers 404 for unknown models and versions and 400 for bad names', async () => {
    expect((await call('GET', '/registry/models/nope')).status).toBe(404);
    expect((await call('GET', '/registry/models/churn/versions/99')).status).toBe(404);
    expect((await call('GET', '/registry/models/churn/versions/x1')).status).toBe(400);
    expect((await call('PUT', '/registry/models/churn/aliases/Bad%20Alias', { version: '1', reason: 'x' })).status).toBe(400);
  });
});
