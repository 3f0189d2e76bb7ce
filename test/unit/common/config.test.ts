import { describe, expect, it } from 'vitest';
import { ConfigError, commonOptions, loadConfig, opt, redactConfig } from '../../../services/common/index.js';

describe('config', () => {
  it('uses the defaults when the environment is empty and freezes the result', () => {
    const config = loadConfig(commonOptions, {});
    expect(config.kafkaBrokers).toEqual([]);
    expect(config.clickhouseUrl).toBe('chdb:.data/clickhouse');
    expect(config.kafkaClient).toBe('rdkafka');
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('names the key and the allowed values when a value is bad', () => {
    expect(() => loadConfig(commonOptions, { KAFKA_CLIENT: 'librdkafka' })).toThrow(
      'config KAFKA_CLIENT: "librdkafka" is not valid: not one of the allowed values (allowed: one of rdkafka, kafkajs)',
    );
    expect(() => loadConfig(commonOptions, { CLICKHOUSE_URL: 'ftp://x' })).toThrow(/CLICKHOUSE_URL.*allowed: http:\/\/…, https:\/\/… or chdb:<directory>/);
    expect(() => loadConfig(commonOptions, { HTTP_PORT: '70000' })).toThrow(/HTTP_PORT.*out of range.*from 0 to 65535/);
  });

  it('takes a duration for an option in milliseconds, and only there', () => {
    const schema = { windowMs: opt.int({ env: 'X_WINDOW_MS', doc: 'd', default: 1000, min: 1000 }), count: opt.int({ env: 'X_COUNT', doc: 'd', default: 1 }) };
    expect(loadConfig(schema, { X_WINDOW_MS: '1h' }).windowMs).toBe(3_600_000);
    expect(loadConfig(schema, { X_WINDOW_MS: '1.5s' }).windowMs).toBe(1500);
    expect(loadConfig(schema, { X_WINDOW_MS: '7200000' }).windowMs).toBe(7_200_000);
    expect(() => loadConfig(schema, { X_WINDOW_MS: '500ms' })).toThrow(/X_WINDOW_MS: "500ms" is not valid: out of range \(allowed: an integer from 1000 to \d+ \(ms\), or a duration such as 30s, 5m, 1h, 2d\)/);
    expect(() => loadConfig(schema, { X_COUNT: '1h' })).toThrow(/X_COUNT: "1h" is not valid: not an integer \(allowed: an integer from/);
  });

  it('reports every bad key at once', () => {
    try {
      loadConfig(commonOptions, { HTTP_PORT: 'x', LOG_LEVEL: 'loud', KAFKA_BROKERS: 'nohostport' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe('LOG_LEVEL, HTTP_PORT, KAFKA_BROKERS');
    }
  });

  it('requires options without a default', () => {
    const schema = { token: opt.string({ env: 'MY_TOKEN', doc: 'a token' }) };
    expect(() => loadConfig(schema, {})).toThrow('config MY_TOKEN: is required (allowed: any text)');
  });

  it('never echoes a secret, neither in errors nor in the loggable view', () => {
    const schema = { port: opt.int({ env: 'P', doc: 'p', secret: true, default: 1 }), pass: opt.string({ env: 'PASS', doc: 'x', secret: true, default: '' }) };
    expect(() => loadConfig(schema, { P: 'hunter2' })).toThrow('config P: <secret> is not valid');
    expect(redactConfig(schema, loadConfig(schema, { PASS: 'hunter2' }))).toEqual({ port: '<set>', pass: '<set>' });
  });

  it('keeps the embedded schema registry closed to anonymous writes unless SCHEMA_REGISTRY_OPEN_WRITES opens them', () => {
    expect(loadConfig(commonOptions, {}).schemaRegistryOpenWrites).toBe(false);
    expect(loadConfig(commonOptions, { SCHEMA_REGISTRY_OPEN_WRITES: 'true' }).schemaRegistryOpenWrites).toBe(true);
    expect(loadConfig(commonOptions, { SCHEMA_REGISTRY_OPEN_WRITES: 'false' }).schemaRegistryOpenWrites).toBe(false);
    expect(() => loadConfig(commonOptions, { SCHEMA_REGISTRY_OPEN_WRITES: 'maybe' })).toThrow(/SCHEMA_REGISTRY_OPEN_WRITES.*true or false/);
  });

  it('splits lists and checks each item', () => {
    expect(loadConfig(commonOptions, { KAFKA_BROKERS: 'a:9092, b:9093' }).kafkaBrokers).toEqual(['a:9092', 'b:9093']);
  });
});
