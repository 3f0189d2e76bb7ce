import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, createMetricsRegistry, requireApiKey, requireReadToken, silentLogger, type HttpServer } from '../../../services/common/index.js';

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

function server(setup: (s: HttpServer) => void): HttpServer {
  const s = createHttpServer({ logger: silentLogger(), registry: createMetricsRegistry({ processMetrics: false }) });
  setup(s);
  servers.push(s);
  return s;
}

describe('optional auth for the predict and read routes', () => {
  it('asks for an API key on the routes it guards, as a bearer token or X-API-Key, in constant time', async () => {
    const s = server((h) =>
      void h.app.register(async (api) => {
        api.addHook('onRequest', requireApiKey(['k-one', 'k-two']));
        api.post('/v1/models/m:predict', async () => ({ predictions: [] }));
      }),
    );
    const call = (headers: Record<string, string>) => s.app.inject({ method: 'POST', url: '/v1/models/m:predict', headers: { 'content-type': 'application/json', ...headers }, payload: '{}' });
    const refused = await call({});
    expect(refused.statusCode).toBe(401);
    expect(refused.json()).toEqual({ error: 'DL_UNAUTHORIZED', message: 'this route needs an API key: Authorization: Bearer <key> or X-API-Key: <key>' });
    expect((await call({ authorization: 'Bearer wrong' })).statusCode).toBe(401);
    expect((await call({ authorization: 'Bearer k-one' })).statusCode).toBe(200);
    expect((await call({ authorization: 'bearer k-two' })).statusCode).toBe(200);
    expect((await call({ 'x-api-key': 'k-two' })).statusCode).toBe(200);
    expect((await call({ 'x-api-key': '' })).statusCode).toBe(401);
  });

  it('closes reads to callers without the read or admin token, leaving probes, metrics and routes with their own auth open, and writes to theirs', async () => {
    const s = server((h) => {
      h.app.addHook('onRequest', requireReadToken(['read-t', 'admin-t'], ['/schema-registry']));
      h.app.get('/registry/models', async () => ({ models: [] }));
      h.app.get('/schema-registry/subjects', async () => []);
      h.app.get('/v2/health/live', async () => ({ live: true }));
      h.app.post('/drift/models/m/retrain', async () => ({ ok: true }));
    });
    const get = (url: string, headers: Record<string, string> = {}) => s.app.inject({ method: 'GET', url, headers });
    expect((await get('/registry/models')).statusCode).toBe(401);
    expect((await get('/registry/models?limit=5')).json()).toMatchObject({ error: 'DL_UNAUTHORIZED' });
    expect((await get('/registry/models', { authorization: 'Bearer read-t' })).statusCode).toBe(200);
    expect((await get('/registry/models', { authorization: 'Bearer admin-t' })).statusCode).toBe(200);
    for (const open of ['/healthz', '/readyz', '/metrics', '/v2/health/live', '/schema-registry/subjects']) expect((await get(open)).statusCode, open).toBe(200);
    expect((await s.app.inject({ method: 'POST', url: '/drift/models/m/retrain' })).statusCode).toBe(200);
  });
});
