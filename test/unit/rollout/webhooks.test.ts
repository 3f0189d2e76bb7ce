import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetricsRegistry, silentLogger } from '../../../services/common/index.js';
import { verifyDriftloopSignature } from '../../../services/drift/index.js';
import { createWebhookSender } from '../../../services/rollout/webhooks.js';

interface Received { headers: IncomingHttpHeaders; body: string }
let server: Server | undefined;

/** A receiver answering each request with the next status of `statuses` (the last one repeats). */
async function receiver(statuses: number[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.statusCode = statuses[Math.min(received.length - 1, statuses.length - 1)]!;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

const sender = (url: string, hmacSecret = 'shh') =>
  createWebhookSender({ urls: [url], hmacSecret, logger: silentLogger(), registry: createMetricsRegistry({ processMetrics: false }), retry: { retries: 3, initialDelayMs: 5, maxDelayMs: 20 } });

afterEach(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('rollout webhooks', () => {
  it('signs each post so verifyDriftloopSignature accepts it, and retries a 5xx with the same idempotency key', async () => {
    const { url, received } = await receiver([503, 200]);
    const s = sender(url);
    s.post('m@2#7', { model: 'm', state: 'promoted' });
    await s.flush();
    expect(received).toHaveLength(2);
    for (const r of received) {
      expect(r.headers['idempotency-key']).toBe('m@2#7');
      expect(verifyDriftloopSignature('shh', String(r.headers['x-driftloop-timestamp']), r.body, String(r.headers['x-driftloop-signature']))).toBe(true);
    }
    expect(JSON.parse(received[1]!.body)).toEqual({ model: 'm', state: 'promoted' });
    await s.close();
  });

  it('retries a 429 (the receiver asks to slow down), as drift alerts do: one signed-webhook client for both', async () => {
    const { url, received } = await receiver([429, 429, 200]);
    const s = sender(url);
    s.post('m@2#9', { model: 'm' });
    await s.flush();
    expect(received.map((r) => r.headers['idempotency-key'])).toEqual(['m@2#9', 'm@2#9', 'm@2#9']);
    await s.close();
  });

  it('does not retry any other 4xx', async () => {
    const { url, received } = await receiver([400]);
    const s = sender(url, '');
    s.post('m@2#8', { model: 'm' });
    await s.flush();
    expect(received).toHaveLength(1);
    expect(received[0]!.headers['x-driftloop-signature']).toBeUndefined();
    await s.close();
  });

  it('retries a refused connection, then gives up after its retries', async () => {
    const { url } = await receiver([200]);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const registry = createMetricsRegistry({ processMetrics: false });
    const s = createWebhookSender({ urls: [url], hmacSecret: '', logger: silentLogger(), registry, retry: { retries: 2, initialDelayMs: 5, maxDelayMs: 10 } });
    s.post('m@2#9', {});
    await s.flush();
    expect(await registry.getSingleMetricAsString('driftloop_rollout_webhooks_total')).toMatch(/outcome="failed"} 1/);
    await s.close();
  });
});
