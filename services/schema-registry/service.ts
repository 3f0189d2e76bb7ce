import type { FastifyInstance } from 'fastify';
import type { ClickHouse } from '../common/clickhouse/index.js';
import { ConfigError } from '../common/errors.js';
import { createHttpServer, type HttpServer } from '../common/http/index.js';
import type { Logger } from '../common/logger.js';
import { createMetricsRegistry } from '../common/metrics.js';
import type { BasicAuthCredentials, RegistryWriteAuth } from './auth.js';
import { createSchemaRegistry, type SchemaRegistry } from './registry.js';
import { registryRoutes } from './routes.js';
import { createClickHouseRegistryStore } from './store.js';

export interface SchemaRegistryServiceOptions {
  /** Where schemas live; migrations (infra/clickhouse/002_schema_registry.sql) must be applied. */
  clickhouse: ClickHouse;
  logger: Logger;
  /**
   * HTTP Basic credentials every request must present (SCHEMA_REGISTRY_USER /
   * SCHEMA_REGISTRY_PASSWORD). Omitted, or both empty: reads are open and
   * writes are guarded by `writeAuth`.
   */
  auth?: BasicAuthCredentials;
  /**
   * Who may register, delete and change compatibility levels when `auth` is
   * not in force: a request presenting one of `tokens` (Bearer, or Basic with
   * the token as password; driftloop passes DRIFTLOOP_ADMIN_TOKEN and its own
   * per-process credential), or anyone with `'open'`
   * (SCHEMA_REGISTRY_OPEN_WRITES). Writes are never open by default.
   * @default { tokens: [] } (every write refused)
   */
  writeAuth?: RegistryWriteAuth;
  /** Request bodies larger than this get 413. @default 1 MiB */
  bodyLimitBytes?: number;
}

export interface ListenOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
}

export interface SchemaRegistryService {
  /** The operations behind the routes, for in-process callers. */
  readonly registry: SchemaRegistry;
  /**
   * Adds the registry routes to an app that is not listening yet (e.g. the
   * shared server of `driftloop up`). With `prefix`, clients use
   * `http://host:port<prefix>` as their registry URL.
   */
  registerRoutes(app: FastifyInstance, options?: { prefix?: string }): Promise<void>;
  /** Serves the registry on its own HTTP server (with /healthz, /readyz, /metrics); resolves to its base URL. */
  listen(options?: ListenOptions): Promise<string>;
  /** Waits for writes in flight and stops the standalone server; the ClickHouse client stays open (the caller owns it). */
  close(): Promise<void>;
}

/**
 * The embedded Confluent-compatible Schema Registry, used when
 * SCHEMA_REGISTRY_URL is empty: the REST subset `@confluentinc/schemaregistry`
 * calls, stored in ClickHouse and served from memory. It is for a single
 * process — writes are serialized in this process only, and a second process
 * on the same tables would hand out the same ids. Deployments with several
 * processes run a Confluent Schema Registry (or Redpanda / Karapace) and set
 * SCHEMA_REGISTRY_URL; clients behave the same against either.
 */
export async function createSchemaRegistryService(options: SchemaRegistryServiceOptions): Promise<SchemaRegistryService> {
  const { clickhouse, logger, bodyLimitBytes = 1024 * 1024 } = options;
  if (!Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1) throw new ConfigError('bodyLimitBytes', `must be a positive integer, got ${bodyLimitBytes}`);
  const auth = options.auth && (options.auth.user !== '' || options.auth.password !== '') ? { ...options.auth } : undefined;
  const writeAuth: RegistryWriteAuth = options.writeAuth === 'open' ? 'open' : Object.freeze({ tokens: Object.freeze([...(options.writeAuth?.tokens ?? [])]) });
  const registry = await createSchemaRegistry({ store: createClickHouseRegistryStore({ clickhouse }), logger });
  const routes = registryRoutes({ registry, auth, writeAuth, bodyLimitBytes });
  let server: HttpServer | undefined;

  return {
    registry,
    async registerRoutes(app, opts = {}) {
      await app.register(routes, { prefix: opts.prefix ?? '' });
    },
    async listen(opts = {}) {
      if (server) throw new Error('the schema registry is already listening');
      const http = createHttpServer({
        logger: logger.child({ service: 'schema-registry' }),
        registry: createMetricsRegistry({ processMetrics: false }),
        host: opts.host ?? '127.0.0.1',
        port: opts.port ?? 0,
        bodyLimitBytes,
      });
      http.addReadinessCheck('clickhouse', () => clickhouse.ping());
      await http.app.register(routes);
      server = http;
      return http.listen();
    },
    async close() {
      await registry.idle();
      const s = server;
      server = undefined;
      await s?.close();
    },
  };
}
