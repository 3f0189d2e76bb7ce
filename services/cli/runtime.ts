import { randomBytes } from 'node:crypto';
import { TOPICS } from '../../schemas/index.js';
import {
  createClickHouse,
  createEventBus,
  createEventCodec,
  createHttpServer,
  createMetricsRegistry,
  createRegistryClient,
  createSchemaCache,
  migrate,
  redactConfig,
  requireReadToken,
  startEmbeddedKafka,
  commonOptions,
  type ClickHouse,
  type ConfigOf,
  type EmbeddedKafka,
  type EventBus,
  type EventCodec,
  type HttpServer,
  type Logger,
  type Registry,
  type RegistryClient,
  type SchemaCache,
} from '../common/index.js';
import { createSchemaRegistryService, type SchemaRegistryService } from '../schema-registry/index.js';

export type CommonConfig = ConfigOf<typeof commonOptions>;

/** Path the embedded Schema Registry is served under on the shared HTTP server. */
export const SCHEMA_REGISTRY_PATH = '/schema-registry';

/**
 * Everything services share in one process: engines (embedded or real, by
 * configuration only), the HTTP server, the bus and the serde. Built once,
 * passed to each service factory, closed in reverse order.
 */
export interface Runtime {
  readonly config: CommonConfig;
  readonly logger: Logger;
  readonly metrics: Registry;
  readonly http: HttpServer;
  readonly clickhouse: ClickHouse;
  readonly bus: EventBus;
  /** The bus for `client` (the runtime's own when it matches KAFKA_CLIENT), created once on first use. */
  busFor(client: 'rdkafka' | 'kafkajs'): EventBus;
  readonly kafkaBrokers: readonly string[];
  readonly schemaRegistryUrl: string;
  readonly registryClient: RegistryClient;
  readonly schemas: SchemaCache;
  readonly codec: EventCodec;
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  /** Registers a shutdown step; steps run in reverse order of registration. */
  onClose(step: () => Promise<void>): void;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Adds routes to the shared HTTP server before it starts listening (fastify freezes routes then). */
  routes?: ((app: HttpServer['app'], shared: { logger: Logger; metrics: Registry; clickhouse: ClickHouse }) => Promise<void>)[];
  /**
   * A /readyz check in place from the moment the server listens (it must
   * listen before the services start: the embedded Schema Registry answers on
   * it), failing while the caller is still starting what serves the routes.
   */
  startup?: () => void;
}

export async function startRuntime(config: CommonConfig, logger: Logger, options: RuntimeOptions = {}): Promise<Runtime> {
  const closers: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const step of closers.splice(0).reverse()) {
      try {
        await step();
      } catch (err) {
        logger.error({ err }, 'shutdown step failed');
      }
    }
  };
  try {
    logger.info({ config: redactConfig(commonOptions, config) }, 'starting');
    const metrics = createMetricsRegistry();

    let kafka: EmbeddedKafka | undefined;
    if (config.kafkaBrokers.length === 0) {
      kafka = await startEmbeddedKafka({ brokers: 3 });
      closers.push(() => kafka!.stop());
      logger.info({ brokers: kafka.brokers }, 'embedded Kafka (librdkafka mock cluster) started');
    }
    const kafkaBrokers = kafka?.brokers ?? config.kafkaBrokers;

    const clickhouse = await createClickHouse({
      url: config.clickhouseUrl,
      database: config.clickhouseDatabase,
      user: config.clickhouseUser,
      password: config.clickhousePassword,
      requestTimeoutMs: config.clickhouseRequestTimeoutMs,
      logger,
    });
    closers.push(() => clickhouse.close());
    await migrate(clickhouse, { logger });

    const http = createHttpServer({ logger, registry: metrics, host: config.httpHost, port: config.httpPort });
    closers.push(() => http.close());
    http.addReadinessCheck('clickhouse', () => clickhouse.ping());
    if (config.readToken) http.app.addHook('onRequest', requireReadToken([config.readToken, config.adminToken], [SCHEMA_REGISTRY_PATH]));
    if (options.startup) http.addReadinessCheck('startup', options.startup);

    let embeddedRegistry: SchemaRegistryService | undefined;
    const configuredCredentials = { user: config.schemaRegistryUser, password: config.schemaRegistryPassword };
    // Without Basic credentials the embedded registry guards only writes; this process registers its schemas with a
    // random credential of its own, which is neither configured nor logged and dies with the process.
    const ownCredential =
      !config.schemaRegistryUrl && configuredCredentials.user === '' && configuredCredentials.password === '' ? randomBytes(32).toString('base64url') : undefined;
    if (!config.schemaRegistryUrl) {
      embeddedRegistry = await createSchemaRegistryService({
        clickhouse,
        logger,
        auth: configuredCredentials,
        writeAuth: config.schemaRegistryOpenWrites ? 'open' : { tokens: [config.adminToken, ...(ownCredential ? [ownCredential] : [])] },
      });
      await embeddedRegistry.registerRoutes(http.app, { prefix: SCHEMA_REGISTRY_PATH });
      closers.push(() => embeddedRegistry!.close());
    }
    for (const addRoutes of options.routes ?? []) await addRoutes(http.app, { logger, metrics, clickhouse });
    const url = await http.listen();
    const schemaRegistryUrl = config.schemaRegistryUrl || `${url}${SCHEMA_REGISTRY_PATH}`;

    const registryClient = createRegistryClient({
      url: schemaRegistryUrl,
      ...(ownCredential ? { user: 'driftloop', password: ownCredential } : configuredCredentials),
    });
    const codec = createEventCodec({ client: registryClient, topicPrefix: config.topicPrefix });
    await codec.register(TOPICS);

    const buses = new Map<'rdkafka' | 'kafkajs', EventBus>();
    const busFor = (client: 'rdkafka' | 'kafkajs'): EventBus => {
      let b = buses.get(client);
      if (!b) {
        b = createEventBus({
          client,
          brokers: kafkaBrokers,
          clientId: config.kafkaClientId,
          debug: config.kafkaDebug || undefined,
          security: {
            protocol: config.kafkaSecurityProtocol,
            saslMechanism: config.kafkaSaslMechanism,
            username: config.kafkaSaslUsername,
            password: config.kafkaSaslPassword,
          },
          logger,
        });
        const created = b;
        closers.push(() => created.close());
        buses.set(client, b);
      }
      return b;
    };
    const bus = busFor(config.kafkaClient);

    logger.info({ url, schemaRegistryUrl, kafkaBrokers, clickhouse: clickhouse.backend }, 'runtime ready');
    return {
      config,
      logger,
      metrics,
      http,
      clickhouse,
      bus,
      busFor,
      kafkaBrokers,
      schemaRegistryUrl,
      registryClient,
      schemas: createSchemaCache(registryClient),
      codec,
      url,
      onClose: (step) => void closers.push(step),
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
