import Fastify, { LogController, type FastifyInstance, type FastifyError } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { DriftloopError, OverloadedError, errorMessage } from '../errors.js';
import { quoteInput } from '../echo.js';

export type ReadinessCheck = () => Promise<void> | void;

export interface HttpServerOptions {
  logger: Logger;
  registry: Registry;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** Larger bodies get 413. @default 1 MiB */
  bodyLimitBytes?: number;
  /** Timeouts that close slow or idle connections (Node's and fastify's defaults leave some off). */
  timeouts?: Partial<HttpTimeouts>;
}

/** How long a connection may take at each stage before the server closes it. */
export interface HttpTimeouts {
  /**
   * Until the request's headers have arrived (slow-header clients). Generous:
   * Node measures it on its own event loop, so a process busy for seconds
   * (a long chDB call) must not cut off a client that was on time.
   * @default 30 s
   */
  headersTimeoutMs: number;
  /** Until the whole request, body included, has arrived (slow-body clients). @default 60 s */
  requestTimeoutMs: number;
  /**
   * An idle keep-alive connection between requests. Longer than clients keep
   * theirs (undici 4 s, load balancers 60 s): a server that closes first races
   * a request sent on the same socket ("other side closed", seen in CI with 5 s).
   * @default 65 s
   */
  keepAliveTimeoutMs: number;
  /** A socket with no activity at all, whatever it is doing; above the keep-alive timeout. @default 120 s */
  idleSocketTimeoutMs: number;
}

export const DEFAULT_HTTP_TIMEOUTS: Readonly<HttpTimeouts> = Object.freeze({
  headersTimeoutMs: 30_000,
  requestTimeoutMs: 60_000,
  keepAliveTimeoutMs: 65_000,
  idleSocketTimeoutMs: 120_000,
});

/**
 * Longest path parameter the router matches. Model names reach 128 characters
 * (MODEL_NAME_MAX_LENGTH) and schema-registry subjects 255; beyond this the
 * answer is 414 in the `DL_…` format.
 */
export const MAX_PARAM_LENGTH = 512;

export interface HttpServer {
  readonly app: FastifyInstance;
  /** `/readyz` answers 200 only while every check passes. */
  addReadinessCheck(name: string, check: ReadinessCheck): void;
  /** Starts listening; resolves to the base URL, e.g. `http://127.0.0.1:8080`. */
  listen(): Promise<string>;
  close(): Promise<void>;
}

/**
 * Fastify with what every service exposes: `/healthz` (the process is alive),
 * `/readyz` (its dependencies answer), `/metrics` (Prometheus), and one error
 * format: `{ error: <stable code>, message }` with the error's HTTP status.
 */
export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { logger, registry, host = '127.0.0.1', port = 0, bodyLimitBytes = 1024 * 1024 } = options;
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS, ...options.timeouts };
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }),
    // Services log what matters themselves; one line per request is noise at ingest rates.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    connectionTimeout: timeouts.idleSocketTimeoutMs,
    keepAliveTimeout: timeouts.keepAliveTimeoutMs,
    requestTimeout: timeouts.requestTimeoutMs,
    // Node enforces the header and request timeouts on this sweep (30 s by default, which would let a slow client stay up to 40 s).
    http: { connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(timeouts.headersTimeoutMs / 4))) },
    // The router's own refusals (a parameter over MAX_PARAM_LENGTH, a malformed URL component) in the one error format.
    frameworkErrors: (err: FastifyError, _req: unknown, reply: { status(code: number): { send(body: unknown): void } }) => {
      const path = /^'(.*)' is/s.exec(err.message)?.[1];
      const what = path === undefined ? err.message : err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? `path parameter ${quoteInput(path)} is longer than ${MAX_PARAM_LENGTH} characters` : `${quoteInput(path)} is not a valid URL component`;
      reply.status(err.statusCode ?? 400).send({ error: err.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'DL_URI_TOO_LONG' : 'DL_BAD_REQUEST', message: what });
    },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  app.server.headersTimeout = Math.min(timeouts.headersTimeoutMs, timeouts.requestTimeoutMs);
  const checks = new Map<string, ReadinessCheck>();

  app.setErrorHandler((err: FastifyError | DriftloopError, req, reply) => {
    if (err instanceof DriftloopError) {
      if (err instanceof OverloadedError) void reply.header('retry-after', String(err.retryAfterSeconds));
      else if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
      return reply.status(err.statusCode).send({ error: err.code, message: err.message });
    }
    const status = err.statusCode ?? 500;
    if (err.validation) return reply.status(400).send({ error: 'DL_VALIDATION', message: err.message });
    if (status === 413) return reply.status(413).send({ error: 'DL_TOO_LARGE', message: `body larger than ${req.routeOptions.bodyLimit ?? bodyLimitBytes} bytes` });
    if (status >= 400 && status < 500) return reply.status(status).send({ error: err.code ?? 'DL_BAD_REQUEST', message: err.message });
    req.log.error({ err }, 'request failed');
    return reply.status(500).send({ error: 'DL_INTERNAL', message: 'internal error' });
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: 'DL_NOT_FOUND', message: `no route ${req.method} ${req.url}` }));

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    const failures: Record<string, string> = {};
    await Promise.all(
      [...checks].map(async ([name, check]) => {
        try {
          await check();
        } catch (err) {
          failures[name] = errorMessage(err);
        }
      }),
    );
    const ready = Object.keys(failures).length === 0;
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: [...checks.keys()], failures });
  });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  return {
    app,
    addReadinessCheck: (name, check) => void checks.set(name, check),
    listen: () => app.listen({ host, port }),
    close: () => app.close(),
  };
}
