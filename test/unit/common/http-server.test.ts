import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer, MAX_PARAM_LENGTH, type HttpServer, type HttpTimeouts } from '../../../services/common/http/index.js';
import { MODEL_NAME_MAX_LENGTH } from '../../../schemas/index.js';
import { OverloadedError, createMetricsRegistry, silentLogger } from '../../../services/common/index.js';

const servers: HttpServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(timeouts: Partial<HttpTimeouts> = {}): Promise<{ server: HttpServer; url: URL }> {
  const server = createHttpServer({ logger: silentLogger(), registry: createMetricsRegistry({ processMetrics: false }), timeouts });
  server.app.get('/models/:model', async (req) => ({ model: (req.params as { model: string }).model }));
  server.app.post('/echo', async (req) => req.body);
  server.app.get('/busy', async () => {
    throw new OverloadedError('cannot record more events right now', 2);
  });
  servers.push(server);
  return { server, url: new URL(await server.listen()) };
}

/** Opens a raw connection, writes `text`, and resolves with what the server sent once it closed the socket. */
function closedAfter(url: URL, text: string): Promise<{ received: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let received = '';
    const socket: Socket = connect(Number(url.port), url.hostname, () => socket.write(text));
    socket.on('data', (chunk) => void (received += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve({ received, ms: performance.now() - started }));
  });
}

describe('the shared HTTP server', () => {
  it('closes a client that never finishes its headers, with 408', async () => {
    const { url } = await serve({ headersTimeoutMs: 400, requestTimeoutMs: 5_000 });
    const { received, ms } = await closedAfter(url, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(4_000);
  });

  it('closes a client that never finishes its body, with 408', async () => {
    const { url } = await serve({ headersTimeoutMs: 400, requestTimeoutMs: 600 });
    const { received, ms } = await closedAfter(url, 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a":');
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    expect(ms).toBeLessThan(4_000);
  });

  it('closes an idle keep-alive connection after its timeout, having answered the request', async () => {
    const { url } = await serve({ keepAliveTimeoutMs: 300 });
    const { received, ms } = await closedAfter(url, 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(received).toMatch(/^HTTP\/1\.1 200/);
    expect(received).toContain('"status":"ok"');
    expect(ms).toBeLessThan(3_000);
  });

  it('routes a path parameter as long as the longest model name, and answers a longer one than it matches in the DL format', async () => {
    const { server } = await serve();
    const longest = 'm'.repeat(MODEL_NAME_MAX_LENGTH);
    const ok = await server.app.inject({ method: 'GET', url: `/models/${longest}` });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ model: longest });
    const tooLong = await server.app.inject({ method: 'GET', url: `/models/${'m'.repeat(MAX_PARAM_LENGTH + 1)}` });
    expect(tooLong.statusCode).toBe(414);
    expect(tooLong.json()).toEqual({ error: 'DL_URI_TOO_LONG', message: expect.stringContaining(`longer than ${MAX_PARAM_LENGTH} characters`) });
    // The path is not echoed whole.
    expect(tooLong.body.length).toBeLessThan(300);
  });

  it('answers an overloaded service with 503, its reason and Retry-After', async () => {
    const { server } = await serve();
    const res = await server.app.inject({ method: 'GET', url: '/busy' });
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('2');
    expect(res.json()).toEqual({ error: 'DL_OVERLOADED', message: 'cannot record more events right now' });
  });
});
