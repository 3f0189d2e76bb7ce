import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { IngestService } from '../../../services/ingest/index.js';
import { uniqueName, waitFor } from '../../support/index.js';
import { avroFeatureMessages, produce, startServiceOverHttp } from '../../support/runtime.js';

const TOKEN = 'test-admin-token';

async function runtimeWithIngest(adminToken: string): Promise<{ runtime: Runtime; ingest: IngestService }> {
  const { runtime, service } = await startServiceOverHttp('ingest', { DRIFTLOOP_ADMIN_TOKEN: adminToken, INGEST_GROUP_ID: uniqueName('http'), INGEST_BATCH_MAX_WAIT_MS: '100' });
  return { runtime, ingest: service };
}

describe('ingest HTTP API', () => {
  let runtime: Runtime;
  let ingest: IngestService;
  beforeAll(async () => {
    ({ runtime, ingest } = await runtimeWithIngest(TOKEN));
  });
  afterAll(async () => {
    await ingest.stop();
    await runtime.close();
  });

  it('reports counters and per-partition lag', async () => {
    const model = uniqueName('status');
    await produce(runtime, 'features', await avroFeatureMessages(runtime, model, 0, 200));
    await waitFor(() => ingest.stats().stored >= 200, { message: '200 stored' });
    const res = await fetch(`${runtime.url}/ingest/status`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { stored: number; partitions: { topic: string; lag: number }[] };
    expect(body.stored).toBe(200);
    expect(body.partitions.length).toBeGreaterThan(0);
    expect(body.partitions.every((p) => p.topic.startsWith(runtime.config.topicPrefix))).toBe(true);
  });

  it('refuses to pause without the admin token, and pauses and resumes with it', async () => {
    const post = (path: string, token?: string) =>
      fetch(`${runtime.url}${path}`, { method: 'POST', headers: token ? { authorization: `Bearer ${token}` } : {} });
    for (const token of [undefined, 'wrong-token']) {
      const res = await post('/ingest/pause', token);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'DL_UNAUTHORIZED', message: 'missing or invalid credentials' });
      expect(ingest.stats().paused).toBe(false);
    }
    expect((await post('/ingest/pause', TOKEN)).status).toBe(200);
    expect(ingest.stats().paused).toBe(true);
    expect(await (await post('/ingest/resume', TOKEN)).json()).toEqual({ paused: false });
  });
});

describe('ingest HTTP API without an admin token configured', () => {
  it('refuses every admin request, whatever token it carries', async () => {
    const { runtime, ingest } = await runtimeWithIngest('');
    try {
      const res = await fetch(`${runtime.url}/ingest/pause`, { method: 'POST', headers: { authorization: 'Bearer ' } });
      expect(res.status).toBe(401);
      expect(ingest.stats().paused).toBe(false);
    } finally {
      await ingest.stop();
      await runtime.close();
    }
  });
});
