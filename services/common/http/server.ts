import Fastify, { LogController, type FastifyInstance, type FastifyError } from 'fastify';
import type { Registry } from 'prom-client';
import type { Logger } from '../logger.js';
import { DriftloopError, errorMessage } from '../errors.js';

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
}

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
  const app = Fastify({
    loggerInstance: logger.child({ component: 'http' }),
    // Services log what matters themselves; one line per request is noise at ingest rates.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: bodyLimitBytes,
  }) as unknown as FastifyInstance;
  const checks = new Map<string, ReadinessCheck>();

  app.setErrorHandler((err: FastifyError | DriftloopError, req, reply) => {
    if (err instanceof DriftloopError) {
      if (err.statusCode >= 500) req.log.error({ err }, 'request failed');
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
