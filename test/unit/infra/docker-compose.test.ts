import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../services/common/index.js';
import { OPTION_GROUPS } from '../../../services/cli/commands/config.js';

interface ComposeService {
  image?: string;
  mem_limit?: string;
  volumes?: string[];
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
}

const compose = parse(readFileSync(fileURLToPath(new URL('../../../docker-compose.yml', import.meta.url)), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
};

/** Compose's `${VAR:-default}`, resolved with the variable unset, as on a fresh checkout. */
function interpolate(value: unknown): string {
  return String(value).replace(/\$\{[A-Z0-9_]+:-([^}]*)\}/g, '$1');
}

const knownOptions = new Map(Object.values(OPTION_GROUPS).flatMap((group) => Object.values(group).map((o) => [o.env, o])));
const driftloopServices = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

describe('docker-compose.yml', () => {
  it('runs Kafka in KRaft mode, Confluent Schema Registry and a ClickHouse server', () => {
    expect(compose.services.kafka?.image).toMatch(/^apache\/kafka:/);
    expect(compose.services.kafka?.environment?.KAFKA_PROCESS_ROLES).toBe('broker,controller');
    expect(compose.services['schema-registry']?.image).toMatch(/^confluentinc\/cp-schema-registry:/);
    expect(compose.services.clickhouse?.image).toMatch(/^clickhouse\/clickhouse-server:/);
  });

  it('runs each driftloop service from the one image, with a command the CLI knows', () => {
    expect(driftloopServices.map(([name]) => name)).toContain('ingest');
    for (const [name, service] of driftloopServices) expect(service.command, name).toEqual(['run', name.replace(/-gpu$/, '')]);
  });

  it('runs every driftloop service, and offers the trainer on NVIDIA GPUs under the gpu profile', () => {
    expect(driftloopServices.map(([name]) => name).sort()).toEqual(['drift', 'evaluator', 'gateway', 'ingest', 'registry', 'rollout', 'trainer', 'trainer-gpu']);
    const gpu = compose.services['trainer-gpu'] as ComposeService & { profiles?: string[]; deploy?: { resources?: { reservations?: { devices?: { driver: string; capabilities: string[] }[] } } } };
    expect(gpu.profiles).toEqual(['gpu']);
    expect(gpu.deploy?.resources?.reservations?.devices).toEqual([{ driver: 'nvidia', count: 'all', capabilities: ['gpu'] }]);
    expect(gpu.environment?.TRAINER_GPUS).toBe('auto');
  });

  it("gives each driftloop service only variables the config schema knows, with values it accepts", () => {
    for (const [name, service] of driftloopServices) {
      const env = Object.fromEntries(Object.entries(service.environment ?? {}).map(([k, v]) => [k, interpolate(v)]));
      for (const key of Object.keys(env)) expect(knownOptions.has(key), `${name}: ${key} is not a driftloop option`).toBe(true);
      for (const group of Object.values(OPTION_GROUPS)) expect(() => loadConfig(group, env), name).not.toThrow();
      // Real servers, not the embedded engines.
      expect(env.KAFKA_BROKERS).toBe('kafka:9092');
      expect(env.SCHEMA_REGISTRY_URL).toBe('http://schema-registry:8081');
      expect(env.CLICKHOUSE_URL).toBe('http://clickhouse:8123');
    }
  });

  it('bounds every container\'s memory and keeps Kafka\'s log on a volume, as ClickHouse\'s', () => {
    for (const [name, service] of Object.entries(compose.services)) expect(service.mem_limit, name).toMatch(/^\d+[mg]$/);
    expect(compose.services.kafka?.environment?.KAFKA_LOG_DIRS).toBe('/var/lib/kafka/data');
    expect(compose.services.kafka?.volumes).toEqual(['kafka-data:/var/lib/kafka/data']);
    expect(compose.services.clickhouse?.volumes).toEqual(['clickhouse-data:/var/lib/clickhouse']);
  });
});
