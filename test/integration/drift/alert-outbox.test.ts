import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry, silentLogger, type ClickHouse } from '../../../services/common/index.js';
import { createAlertSender, createClickHouseAlertOutbox, outboxTarget, type OutboundAlert } from '../../../services/drift/alerts/index.js';
import { migratedChdb } from '../../support/clickhouse.js';

/** A webhook receiver answering `status()` to each request, recording what it got. */
async function receiver(status: () => number): Promise<{ url: string; keys: string[]; bodies: string[]; server: Server }> {
  const got = { keys: [] as string[], bodies: [] as string[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status();
      if (code < 300) {
        got.keys.push(String(req.headers['idempotency-key']));
        got.bodies.push(Buffer.concat(chunks).toString());
      }
      res.statusCode = code;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`, ...got, server };
}

const alert = (key: string): OutboundAlert => ({
  idempotencyKey: key,
  status: 'firing',
  labels: { alertname: 'DriftloopFeatureDrift', model: 'churn' },
  annotations: { summary: `drift ${key}` },
  startsAt: Date.UTC(2026, 0, 1),
});

describe('the outbound alert outbox', () => {
  let ch: ClickHouse;
  beforeAll(async () => {
    ch = await migratedChdb('alert_outbox');
  });
  afterAll(() => ch.close());

  const make = (url: string) =>
    createAlertSender({
      webhooks: [{ url }],
      logger: silentLogger(),
      registry: createMetricsRegistry({ processMetrics: false }),
      retry: { retries: 1, initialDelayMs: 5, maxDelayMs: 10 },
      timeoutMs: 2000,
      closeTimeoutMs: 200,
      outbox: createClickHouseAlertOutbox(ch),
    });

  it('sends again, on the next start, what a receiver outage left undelivered, with the same key and body, and nothing twice after', async () => {
    let down = true;
    const hook = await receiver(() => (down ? 503 : 200));
    try {
      const first = make(hook.url);
      first.send(alert('a1'));
      first.send(alert('a2'));
      // The retries run out while the receiver is down; the process then stops.
      await first.flush();
      await first.close();
      expect(hook.keys).toEqual([]);

      down = false;
      const second = make(hook.url);
      await second.flush();
      expect(hook.keys.sort()).toEqual(['a1', 'a2']);
      const [body] = hook.bodies;
      expect(JSON.parse(body!)).toMatchObject({ version: '4', alerts: [{ labels: { alertname: 'DriftloopFeatureDrift', model: 'churn' } }] });
      second.send(alert('a3'));
      await second.flush();
      await second.close();

      // Everything settled: a third start sends nothing.
      const third = make(hook.url);
      await third.flush();
      await third.close();
      expect(hook.keys.sort()).toEqual(['a1', 'a2', 'a3']);
    } finally {
      hook.server.close();
    }
  });

  it('settles a delivery the receiver refuses for good (4xx), and keeps webhooks apart', async () => {
    const refusing = await receiver(() => 400);
    const other = await receiver(() => 503);
    try {
      const sender = createAlertSender({
        webhooks: [{ url: refusing.url }, { url: other.url }],
        logger: silentLogger(),
        registry: createMetricsRegistry({ processMetrics: false }),
        retry: { retries: 0, initialDelayMs: 5 },
        outbox: createClickHouseAlertOutbox(ch),
      });
      sender.send(alert('b1'));
      await sender.flush();
      await sender.close();
      const outbox = createClickHouseAlertOutbox(ch);
      expect(await outbox.unsettled([outboxTarget(refusing.url)], 100)).toEqual([]);
      expect((await outbox.unsettled([outboxTarget(other.url)], 100)).map((e) => e.idempotencyKey)).toEqual(['b1']);
    } finally {
      refusing.server.close();
      other.server.close();
    }
  });
});
