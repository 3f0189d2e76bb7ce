import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { upBanner } from '../../../services/cli/commands/up.js';

describe('the lines `driftloop up` prints for a person', () => {
  const banner = upBanner({
    url: 'http://127.0.0.1:8080',
    kafkaBrokers: ['127.0.0.1:40001', '127.0.0.1:40002'],
    embedded: true,
    schemaRegistryUrl: 'http://127.0.0.1:8080/schema-registry',
    topicPrefix: 'driftloop.',
    services: ['ingest', 'drift'],
  });

  it('names the embedded broker’s address and its retention limit, the registry and the topics', () => {
    expect(banner).toContain('Kafka            127.0.0.1:40001,127.0.0.1:40002 (embedded: it keeps only about the last 5 MiB of each partition)');
    expect(banner).toContain('Schema Registry  http://127.0.0.1:8080/schema-registry');
    expect(banner).toContain('driftloop.features, driftloop.predictions, driftloop.labels');
    expect(banner).toContain('driftloop status --url http://127.0.0.1:8080');
  });

  it('gives a kcat line whose event is valid JSON once the shell has run it', () => {
    const line = banner.split('\n').find((l) => l.includes('kcat'))!;
    expect(line).toContain('kcat -P -b 127.0.0.1:40001,127.0.0.1:40002 -t driftloop.features -k e1');
    const echo = line.slice(line.indexOf('echo '), line.indexOf(' | kcat'));
    const event = JSON.parse(execFileSync('bash', ['-c', echo]).toString()) as { ts: string; model: string };
    expect(event.model).toBe('my-model');
    expect(Date.parse(event.ts)).toBeGreaterThan(Date.UTC(2020, 0, 1));
  });
});
