import { describe, expect, it } from 'vitest';
import { ConfigError, ValidationError } from '../../../services/common/index.js';
import { describePosition, parseDuration, parsePosition, resolveGroup, resolveTopic } from '../../../services/cli/replay/index.js';

const NOW = Date.parse('2026-03-01T12:00:00Z');

describe('replay positions', () => {
  it('reads earliest, latest, offsets, ISO times and durations ago', () => {
    expect(parsePosition('--from', 'earliest', NOW)).toEqual({ kind: 'earliest' });
    expect(parsePosition('--from', 'latest', NOW)).toEqual({ kind: 'latest' });
    expect(parsePosition('--from', '1500', NOW)).toEqual({ kind: 'offset', offset: 1500 });
    expect(parsePosition('--from', '2026-02-28T10:00:00Z', NOW)).toEqual({ kind: 'time', ms: Date.parse('2026-02-28T10:00:00Z') });
    expect(parsePosition('--from', '2026-02-28', NOW)).toEqual({ kind: 'time', ms: Date.parse('2026-02-28T00:00:00Z') });
    expect(parsePosition('--from', '90m', NOW)).toEqual({ kind: 'time', ms: NOW - 90 * 60_000 });
    expect(parsePosition('--from', '2h ago', NOW)).toEqual({ kind: 'time', ms: NOW - 7_200_000 });
    expect(describePosition({ kind: 'time', ms: NOW })).toBe('2026-03-01T12:00:00.000Z');
  });

  it('refuses anything else, naming the accepted forms', () => {
    for (const bad of ['yesterday', '-5', '12abc', '2026-13-45', '']) {
      expect(() => parsePosition('--from', bad, NOW)).toThrow(ValidationError);
    }
    expect(() => parsePosition('--to', 'soon', NOW)).toThrow(/--to: "soon" is not a position: use earliest, latest, an offset .*, a time .* or a duration ago/);
  });

  it('reads durations for --wait', () => {
    expect(parseDuration('--wait', '45s')).toBe(45_000);
    expect(parseDuration('--wait', '2m')).toBe(120_000);
    expect(() => parseDuration('--wait', '45')).toThrow(/--wait: "45" is not a duration/);
  });
});

describe('replay topics and groups', () => {
  it('resolves contract names, dead-letters and full names with the prefix', () => {
    expect(resolveTopic('features', 'p.', '<topic>')).toEqual({ topic: 'features', name: 'p.features' });
    expect(resolveTopic('dead-letters', 'p.', '<topic>')).toEqual({ topic: 'dlq', name: 'p.dlq' });
    expect(resolveTopic('dlq', 'p.', '<topic>')).toEqual({ topic: 'dlq', name: 'p.dlq' });
    expect(resolveTopic('p.retrain-requests', 'p.', '<topic>')).toEqual({ topic: 'retrain-requests', name: 'p.retrain-requests' });
    expect(() => resolveTopic('other.features', 'p.', '<topic>')).toThrow(/unknown topic "other.features": use one of features, predictions, labels, .*dead-letters/);
  });

  it('maps service names to their configured groups and clients, and takes other names as group ids', () => {
    expect(resolveGroup('ingest', {})).toEqual({ groupId: 'driftloop-ingest', service: 'ingest', client: 'kafkajs' });
    expect(resolveGroup('ingest', { INGEST_GROUP_ID: 'my-ingest', INGEST_KAFKA_CLIENT: 'rdkafka' })).toEqual({ groupId: 'my-ingest', service: 'ingest', client: 'rdkafka' });
    expect(resolveGroup('trainer', { TRAINER_GROUP_ID: 't1', KAFKA_CLIENT: 'kafkajs' })).toEqual({ groupId: 't1', service: 'trainer', client: 'kafkajs' });
    for (const service of ['drift', 'evaluator', 'registry', 'rollout']) expect(resolveGroup(service, {}).groupId).toBe(`driftloop-${service}`);
    expect(resolveGroup('analytics.v2', {})).toEqual({ groupId: 'analytics.v2', client: 'rdkafka' });
  });

  it('explains why the gateway has no group to rewind, and refuses names that are no group id', () => {
    expect(() => resolveGroup('gateway', {})).toThrow(/the gateway has no group to rewind/);
    expect(() => resolveGroup('two words', {})).toThrow(ValidationError);
    expect(() => resolveGroup('ingest', { INGEST_KAFKA_CLIENT: 'java' })).toThrow(ConfigError);
  });
});
