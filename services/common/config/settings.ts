import { opt } from './schema.js';

/**
 * Options every driftloop process reads. Services add their own groups
 * (e.g. `ingestOptions`); `driftloop config` and the README table list them all.
 */

export const kafkaOptions = {
  kafkaBrokers: opt.list({
    env: 'KAFKA_BROKERS',
    doc: 'Kafka bootstrap servers (host:port,...). Empty: start the embedded librdkafka mock cluster.',
    default: [],
    item: /^[^\s,]+:\d+$/,
  }),
  kafkaClient: opt.enum({
    env: 'KAFKA_CLIENT',
    doc: 'Kafka client library behind the event bus.',
    values: ['rdkafka', 'kafkajs'] as const,
    default: 'rdkafka',
  }),
  kafkaDebug: opt.string({
    env: 'KAFKA_DEBUG',
    doc: 'librdkafka debug contexts for troubleshooting, e.g. consumer,fetch (rdkafka client only; needs LOG_LEVEL=debug).',
    default: '',
    pattern: /^[a-z,]*$/,
  }),
  kafkaClientId: opt.string({ env: 'KAFKA_CLIENT_ID', doc: 'Client id sent to the brokers.', default: 'driftloop' }),
  topicPrefix: opt.string({
    env: 'TOPIC_PREFIX',
    doc: 'Prefix of every topic name.',
    default: 'driftloop.',
    pattern: /^[A-Za-z0-9._-]*$/,
  }),
  kafkaSecurityProtocol: opt.enum({
    env: 'KAFKA_SECURITY_PROTOCOL',
    doc: 'How to reach the brokers.',
    values: ['plaintext', 'ssl', 'sasl_plaintext', 'sasl_ssl'] as const,
    default: 'plaintext',
  }),
  kafkaSaslMechanism: opt.enum({
    env: 'KAFKA_SASL_MECHANISM',
    doc: 'SASL mechanism when the protocol is sasl_*.',
    values: ['plain', 'scram-sha-256', 'scram-sha-512'] as const,
    default: 'plain',
  }),
  kafkaSaslUsername: opt.string({ env: 'KAFKA_SASL_USERNAME', doc: 'SASL user name.', default: '' }),
  kafkaSaslPassword: opt.string({ env: 'KAFKA_SASL_PASSWORD', doc: 'SASL password.', default: '', secret: true }),
};

export const clickhouseOptions = {
  clickhouseUrl: opt.string({
    env: 'CLICKHOUSE_URL',
    doc: 'ClickHouse server (http(s)://host:8123) or chdb:<directory> for the embedded chDB engine.',
    default: 'chdb:.data/clickhouse',
    pattern: /^(https?:\/\/\S+|chdb:\S+)$/,
    allowedText: 'http://…, https://… or chdb:<directory>',
  }),
  clickhouseDatabase: opt.string({
    env: 'CLICKHOUSE_DATABASE',
    doc: 'Database holding every driftloop table.',
    default: 'driftloop',
    pattern: /^[A-Za-z_][A-Za-z0-9_]*$/,
  }),
  clickhouseUser: opt.string({ env: 'CLICKHOUSE_USER', doc: 'ClickHouse user (server only).', default: 'default' }),
  clickhousePassword: opt.string({ env: 'CLICKHOUSE_PASSWORD', doc: 'ClickHouse password (server only).', default: '', secret: true }),
  clickhouseRequestTimeoutMs: opt.int({
    env: 'CLICKHOUSE_REQUEST_TIMEOUT_MS',
    doc: 'Timeout of one ClickHouse request.',
    default: 60_000,
    min: 100,
  }),
};

export const schemaRegistryOptions = {
  schemaRegistryUrl: opt.string({
    env: 'SCHEMA_REGISTRY_URL',
    doc: 'Confluent-compatible Schema Registry. Empty: driftloop serves the registry API itself, stored in ClickHouse.',
    default: '',
    pattern: /^(https?:\/\/\S+)?$/,
    allowedText: 'empty, http://… or https://…',
  }),
  schemaRegistryUser: opt.string({
    env: 'SCHEMA_REGISTRY_USER',
    doc: 'Basic-auth user driftloop presents to the registry. With the embedded registry, when it or SCHEMA_REGISTRY_PASSWORD is set, every registry route (reads included) needs this user and password.',
    default: '',
  }),
  schemaRegistryPassword: opt.string({
    env: 'SCHEMA_REGISTRY_PASSWORD',
    doc: 'Basic-auth password driftloop presents to the registry (see SCHEMA_REGISTRY_USER).',
    default: '',
    secret: true,
  }),
  schemaRegistryOpenWrites: opt.bool({
    env: 'SCHEMA_REGISTRY_OPEN_WRITES',
    doc: 'Embedded registry without SCHEMA_REGISTRY_USER/PASSWORD: let anyone register, delete and change compatibility. false: writes need Bearer DRIFTLOOP_ADMIN_TOKEN (or Basic with that token as the password) and are refused when it is empty; reads stay open either way.',
    default: false,
  }),
};

export const processOptions = {
  logLevel: opt.enum({
    env: 'LOG_LEVEL',
    doc: 'pino log level.',
    values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const,
    default: 'info',
  }),
  httpHost: opt.string({ env: 'HTTP_HOST', doc: 'Address the HTTP server binds.', default: '127.0.0.1' }),
  httpPort: opt.int({ env: 'HTTP_PORT', doc: 'Port of the HTTP server (health, metrics, APIs); 0 picks a free one.', default: 8080, min: 0, max: 65535 }),
  readToken: opt.string({
    env: 'DRIFTLOOP_READ_TOKEN',
    doc: 'Set: every read route (GET, HEAD) but health, readiness, metrics and the Schema Registry (which has its own) needs Authorization: Bearer with it or the admin token. Empty: reads are open.',
    default: '',
    secret: true,
  }),
  adminToken: opt.string({
    env: 'DRIFTLOOP_ADMIN_TOKEN',
    doc: 'Bearer token required by admin endpoints. Empty: admin endpoints refuse every request.',
    default: '',
    secret: true,
  }),
};

export const commonOptions = { ...processOptions, ...kafkaOptions, ...clickhouseOptions, ...schemaRegistryOptions };
