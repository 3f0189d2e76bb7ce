import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, createMetricsRegistry, silentLogger, ValidationError, type Registry } from '../../../services/common/index.js';
import { createAlertSender, signDriftloopPayload, verifyDriftloopSignature, type AlertSender, type OutboundAlert } from '../../../services/drift/alerts/index.js';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  url: string;
  received: Received[];
  /** Answers the next requests with these statuses in turn, then 200. */
  statuses: number[];
  /** While set, requests wait until it resolves. */
  hold?: Promise<void>;
  server: Server;
}

const servers: Server[] = [];
const senders: AlertSender[] = [];
afterEach(async () => {
  await Promise.all(senders.splice(0).map((sender) => sender.close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function startReceiver(statuses: number[] = []): Promise<Receiver> {
  const receiver = { received: [] as Received[], statuses, url: '' } as Receiver;
  receiver.server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      receiver.received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      await receiver.hold;
      res.statusCode = receiver.statuses.shift() ?? 200;
      res.end('{}');
    });
  });
  servers.push(receiver.server);
  await new Promise<void>((resolve) => receiver.server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(receiver.server.address() as AddressInfo).port}/alerts?token=in-the-url`;
  return receiver;
}

function sender(registry: Registry, webhooks: Array<{ url: string; hmacSecret?: string; bearerToken?: string }>, extra: { queueLimit?: number; retries?: number } = {}): AlertSender {
  const created = createAlertSender({
    webhooks,
    logger: silentLogger(),
    registry,
    retry: { retries: extra.retries ?? 3, initialDelayMs: 5, maxDelayMs: 20 },
    timeoutMs: 2000,
    externalUrl: 'http://driftloop.example',
    ...(extra.queueLimit ? { queueLimit: extra.queueLimit } : {}),
  });
  senders.push(created);
  return created;
}

function driftAlert(key: string, model = 'churn'): OutboundAlert {
  return {
    idempotencyKey: key,
    status: 'firing',
    labels: { alertname: 'DriftloopDatasetDrift', model, severity: 'warning' },
    annotations: { summary: `dataset drift on ${model}` },
    startsAt: Date.UTC(2025, 5, 1, 12, 0, 0),
  };
}

async function sentCount(registry: Registry, outcome: string): Promise<number> {
  const values = (await registry.getSingleMetric('driftloop_drift_alerts_sent_total')?.get())?.values ?? [];
  return values.find((v) => v.labels.outcome === outcome)?.value ?? 0;
}

async function retryCount(registry: Registry): Promise<number> {
  return (await registry.getSingleMetric('driftloop_drift_alert_retries_total')?.get())?.values[0]?.value ?? 0;
}

describe('outbound alert sender', () => {
  it('retries 503s with the same Idempotency-Key until the webhook accepts a signed Alertmanager v4 payload', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const receiver = await startReceiver([503, 503]);
    const alerts = sender(registry, [{ url: receiver.url, hmacSecret: 'outbound-secret', bearerToken: 'outbound-token' }]);
    alerts.send(driftAlert('drift-report-42'));
    await alerts.flush();

    expect(receiver.received).toHaveLength(3);
    expect(receiver.received.map((r) => r.headers['idempotency-key'])).toEqual(['drift-report-42', 'drift-report-42', 'drift-report-42']);
    for (const { headers, body } of receiver.received) {
      expect(headers['content-type']).toBe('application/json');
      expect(headers.authorization).toBe('Bearer outbound-token');
      const timestamp = headers['x-driftloop-timestamp'] as string;
      expect(verifyDriftloopSignature('outbound-secret', timestamp, body, headers['x-driftloop-signature'] as string)).toBe(true);
      expect(verifyDriftloopSignature('other-secret', timestamp, body, headers['x-driftloop-signature'] as string)).toBe(false);
      expect(verifyDriftloopSignature('outbound-secret', timestamp, body.replace('churn', 'fraud'), headers['x-driftloop-signature'] as string)).toBe(false);
    }
    const payload = JSON.parse(receiver.received[2]!.body);
    expect(payload).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'driftloop',
      truncatedAlerts: 0,
      externalURL: 'http://driftloop.example',
      groupKey: '{}:{alertname="DriftloopDatasetDrift", model="churn", severity="warning"}',
    });
    expect(payload.alerts).toHaveLength(1);
    expect(payload.alerts[0]).toMatchObject({
      status: 'firing',
      labels: { alertname: 'DriftloopDatasetDrift', model: 'churn', severity: 'warning' },
      annotations: { summary: 'dataset drift on churn' },
      startsAt: '2025-06-01T12:00:00.000Z',
      endsAt: '0001-01-01T00:00:00Z',
    });
    expect(payload.alerts[0].fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(await sentCount(registry, 'delivered')).toBe(1);
    expect(await retryCount(registry)).toBe(2);
  });

  it('does not retry a 400 and counts it failed', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const receiver = await startReceiver([400]);
    const alerts = sender(registry, [{ url: receiver.url }]);
    alerts.send(driftAlert('k-400'));
    await alerts.flush();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]!.headers['x-driftloop-signature']).toBeUndefined();
    expect(receiver.received[0]!.headers.authorization).toBeUndefined();
    expect(await sentCount(registry, 'failed')).toBe(1);
    expect(await retryCount(registry)).toBe(0);
  });

  it('retries a 429', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const receiver = await startReceiver([429]);
    const alerts = sender(registry, [{ url: receiver.url }]);
    alerts.send(driftAlert('k-429'));
    await alerts.flush();
    expect(receiver.received).toHaveLength(2);
    expect(await sentCount(registry, 'delivered')).toBe(1);
  });

  it('drops the oldest alerts past the queue limit and counts them', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const receiver = await startReceiver();
    let release!: () => void;
    receiver.hold = new Promise((resolve) => (release = resolve));
    const alerts = sender(registry, [{ url: receiver.url }], { queueLimit: 2 });
    // The first goes in flight at once; of the four that queue behind it, two fit.
    for (const key of ['a1', 'a2', 'a3', 'a4', 'a5']) alerts.send(driftAlert(key));
    expect(await sentCount(registry, 'dropped')).toBe(2);
    release();
    await alerts.flush();
    expect(receiver.received.map((r) => r.headers['idempotency-key'])).toEqual(['a1', 'a4', 'a5']);
    expect(await sentCount(registry, 'delivered')).toBe(3);
  });

  it('retries an unreachable webhook, then counts the delivery failed', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const closed = await startReceiver();
    const url = closed.url;
    await new Promise((resolve) => closed.server.close(resolve));
    const alerts = sender(registry, [{ url }], { retries: 2 });
    alerts.send(driftAlert('k-unreachable'));
    await alerts.flush();
    expect(await retryCount(registry)).toBe(2);
    expect(await sentCount(registry, 'failed')).toBe(1);
  });

  it('delivers to each webhook independently of the others', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const failing = await startReceiver([500, 500, 500, 500]);
    const healthy = await startReceiver();
    const alerts = sender(registry, [{ url: failing.url }, { url: healthy.url }]);
    alerts.send(driftAlert('k-both'));
    await alerts.flush();
    expect(healthy.received).toHaveLength(1);
    expect(failing.received).toHaveLength(4);
    expect(await sentCount(registry, 'delivered')).toBe(1);
    expect(await sentCount(registry, 'failed')).toBe(1);
  });

  it('refuses an alert without the model label', () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const alerts = sender(registry, []);
    const bad = { ...driftAlert('k'), labels: { alertname: 'X' } };
    expect(() => alerts.send(bad)).toThrow(ValidationError);
    expect(() => alerts.send(bad)).toThrow('/labels/model');
  });

  it('rejects a signature whose timestamp is stale, unless the freshness check is turned off', () => {
    const body = '{"version":"4"}';
    const timestamp = String(Date.now() - 10 * 60_000);
    const header = signDriftloopPayload('s', timestamp, body);
    expect(verifyDriftloopSignature('s', timestamp, body, header)).toBe(false);
    expect(verifyDriftloopSignature('s', timestamp, body, header, { maxSkewMs: Infinity })).toBe(true);
    expect(verifyDriftloopSignature('', timestamp, body, signDriftloopPayload('', timestamp, body), { maxSkewMs: Infinity })).toBe(false);
  });

  it('logs the webhook host but never its path, query, token or secret', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const receiver = await startReceiver([500, 400]);
    const lines: string[] = [];
    const logger = createLogger({ service: 'test', level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    const alerts = createAlertSender({
      webhooks: [{ url: receiver.url, hmacSecret: 'outbound-secret', bearerToken: 'outbound-token' }],
      logger,
      registry,
      retry: { initialDelayMs: 5 },
    });
    senders.push(alerts);
    alerts.send(driftAlert('k-logs'));
    await alerts.flush();
    const log = lines.join('');
    expect(log).toContain(new URL(receiver.url).host);
    for (const secret of ['outbound-secret', 'outbound-token', 'in-the-url', '/alerts']) expect(log).not.toContain(secret);
  });

  it('abandons what is left when close runs out of time', async () => {
    const registry = createMetricsRegistry({ processMetrics: false });
    const receiver = await startReceiver();
    receiver.hold = new Promise(() => {});
    const alerts = createAlertSender({ webhooks: [{ url: receiver.url }], logger: silentLogger(), registry, closeTimeoutMs: 50, retry: { initialDelayMs: 5 } });
    alerts.send(driftAlert('stuck-1'));
    alerts.send(driftAlert('stuck-2'));
    await alerts.close();
    expect(await sentCount(registry, 'dropped')).toBe(2);
    alerts.send(driftAlert('after-close'));
    expect(await sentCount(registry, 'dropped')).toBe(3);
    receiver.server.closeAllConnections();
  });
});
