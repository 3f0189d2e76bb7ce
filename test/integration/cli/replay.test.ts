import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topicName } from '../../../schemas/index.js';
import { createEventBus, silentLogger, type Consumer, type EventBus, type IncomingMessage, type OutgoingMessage } from '../../../services/common/index.js';
import { REPLAY_HEADER, decodeDeadLetter, type DeadLetterReplayReport, type RewindReport } from '../../../services/cli/replay/index.js';
import type { Runtime } from '../../../services/cli/runtime.js';
import type { IngestService } from '../../../services/ingest/index.js';
import { kafkaBrokers, uniqueName, waitFor } from '../../support/index.js';
import { CLI_MAIN } from '../../support/process.js';
import { startTestIngest, startTestRuntime } from '../../support/runtime.js';

/** `driftloop replay …` as a user runs it, on the run's embedded Kafka and the test's own topics. */
function replay(prefix: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI_MAIN, 'replay', ...args],
      { env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn', ...env }, timeout: 90_000 },
      (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const text = (b: Buffer | null | undefined): string | null => (b ? b.toString() : null);

/** Reads everything `topic` holds with a group of its own, until `count` messages or the timeout. */
async function readAll(bus: EventBus, topic: string, count: number, groupId = uniqueName('reader')): Promise<IncomingMessage[]> {
  const seen: IncomingMessage[] = [];
  const consumer = await bus.consumer({ groupId, topics: [topic], sessionTimeoutMs: 6000, onBatch: async (ms) => void seen.push(...ms) });
  try {
    // Generous: under the whole suite's load the ingest's first rebalance on a fresh topic alone can take tens of seconds.
    await waitFor(() => seen.length >= count, { message: `${count} messages on ${topic}`, timeoutMs: 90_000, onTimeout: () => `got ${seen.length}` });
  } finally {
    await consumer.close();
  }
  return seen;
}

// Concurrent: most of each test is waiting on the embedded cluster's rebalance delays; each has topics and groups of its own.
describe.concurrent('driftloop replay', () => {
  let bus: EventBus;
  beforeAll(() => {
    bus = createEventBus({ client: 'rdkafka', brokers: kafkaBrokers(), logger: silentLogger() });
  });
  afterAll(async () => {
    await bus.close();
  });

  describe('dead-letters', () => {
    let runtime: Runtime;
    let ingest: IngestService;
    beforeAll(async () => {
      runtime = await startTestRuntime();
      ingest = await startTestIngest(runtime);
    });
    afterAll(async () => {
      await ingest?.stop();
      await runtime?.close();
    });

    it('re-publishes dead letters to the topic and partition they came from, with their key, value and headers, where the ingest consumes them again', { timeout: 240_000 }, async () => {
      const prefix = runtime.config.topicPrefix;
      const dlq = topicName(prefix, 'dlq');
      const features = topicName(prefix, 'features');
      const producer = await bus.producer();
      const bad: OutgoingMessage[] = [
        { key: 'bad-1', value: Buffer.from('not json at all'), headers: { 'trace-id': 't-1' } },
        { key: 'bad-2', value: Buffer.from(JSON.stringify({ event_id: 'bad-2', ts: 0, numeric: {} })), headers: { 'trace-id': 't-2', producer: 'app-7' } },
        { key: null, value: Buffer.from(JSON.stringify({ event_id: 'bad-3', model: 'has spaces', ts: 0 })) },
      ];
      await producer.send(features, bad);
      await producer.send(topicName(prefix, 'labels'), [{ key: 'bad-label', value: Buffer.from('[1, 2]') }]);
      // What the ingest itself cannot have written: a stray message, and a dead letter of a topic that is gone.
      await producer.send(dlq, [
        { key: 'stray', value: Buffer.from('hello') },
        {
          key: 'vanished:0:3',
          value: await runtime.codec.encode('dlq', {
            event_id: 'vanished:0:3', model: '', ts: Date.now(), source_topic: `${prefix}vanished`, source_partition: 0, source_offset: 3,
            consumer_group: 'g', error_code: 'DL_DECODE', error: 'bad', key: null, value: Buffer.from('x'), headers: {},
          }),
        },
      ]);
      const letters = await readAll(bus, dlq, 6);
      expect(letters.map((m) => decodeDeadLetter(m.value)).filter((l) => l?.source_topic === features)).toHaveLength(3);

      const dry = await replay(prefix, ['dead-letters', '--from', 'earliest', '--source', 'features', '--dry-run', '--json']);
      expect(dry.code, dry.stderr).toBe(0);
      const planned = JSON.parse(dry.stdout) as DeadLetterReplayReport;
      // Of the others, labels' and the vanished topic's are left alone; the stray message is not a dead letter at all.
      expect(planned).toMatchObject({ topic: dlq, dry_run: true, read: 6, republished: { [features]: 3 }, other_sources: 2 });
      expect(planned.skipped).toEqual([{ dead_letter: expect.stringContaining(`${dlq}[`), origin: null, reason: 'not a dead letter driftloop wrote (Confluent Avro of schemas/avro/dlq.avsc)' }]);
      const endsBefore = await bus.topicOffsets(features);

      const real = await replay(prefix, ['dead-letters', '--from', 'earliest']);
      expect(real.code, real.stderr).toBe(0);
      expect(real.stdout).toContain(`${features}  3`);
      expect(real.stdout).toMatch(new RegExp(`${prefix}labels +1`));
      expect(real.stdout).toContain('skipped 2:');
      expect(real.stdout).toContain(`${prefix}vanished[0]@3  source topic ${prefix}vanished does not exist`);

      // On the source topic, after where it ended: the same messages, each on the partition it came from.
      const after = (await readAll(bus, features, 6)).filter((m) => m.offset >= endsBefore.find((e) => e.partition === m.partition)!.high);
      expect(after).toHaveLength(3);
      for (const m of after) {
        const from = decodeDeadLetter(letters.find((l) => `${l.topic}:${l.partition}:${l.offset}` === text(m.headers[REPLAY_HEADER]))!.value)!;
        expect({ partition: m.partition, key: text(m.key), value: text(m.value) }).toEqual({ partition: from.source_partition, key: text(from.key), value: text(from.value) });
        expect(Object.fromEntries(Object.entries(m.headers).filter(([k]) => k !== REPLAY_HEADER).map(([k, v]) => [k, text(v)]))).toEqual(
          Object.fromEntries(Object.entries(from.headers).map(([k, v]) => [k, text(v)])),
        );
      }
      expect(after.map((m) => text(m.key)).sort()).toEqual(['bad-1', 'bad-2', null].sort());

      // The ingest consumed them again (still bad: dead-lettered again, now from their new offsets).
      await waitFor(async () => (await bus.topicOffsets(dlq)).reduce((n, p) => n + p.high - p.low, 0) >= 6 + 4, { message: 'the replayed messages dead-lettered again', timeoutMs: 90_000 });
      const again = (await readAll(bus, dlq, 10)).map((m) => decodeDeadLetter(m.value)).filter((l) => l?.source_topic === features && l.headers[REPLAY_HEADER] !== undefined);
      expect(again.map((l) => `${l!.source_partition}@${l!.source_offset}`).sort()).toEqual(after.map((m) => `${m.partition}@${m.offset}`).sort());
    });
  });

  describe('a consumer group', () => {
    /** A topic of its own with 40 messages a second apart, ending 60 s ago. */
    async function seeded(): Promise<{ prefix: string; features: string; t0: number; produced: IncomingMessage[] }> {
      const prefix = `${uniqueName('replay')}.`;
      const features = topicName(prefix, 'features');
      const t0 = Date.now() - 100_000;
      await (await bus.producer()).send(features, Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: Buffer.from(`m${i}`), timestamp: t0 + i * 1000 })));
      return { prefix, features, t0, produced: await readAll(bus, features, 40) };
    }

    /** A group that read and committed the whole topic, as a service does, and then stopped. */
    async function caughtUpGroup(features: string): Promise<string> {
      const groupId = uniqueName('svc');
      const seen: IncomingMessage[] = [];
      const consumer = await bus.consumer({ groupId, topics: [features], sessionTimeoutMs: 6000, onBatch: async (ms) => void seen.push(...ms) });
      await waitFor(() => seen.length >= 40, { message: 'the group to read everything', timeoutMs: 90_000 });
      await consumer.commit((await bus.topicOffsets(features)).map(({ partition, high }) => ({ topic: features, partition, offset: high })));
      await consumer.close();
      return groupId;
    }

    it('rewinds a stopped service’s group to the first offset at or after a time, and the group reads again from there', { timeout: 240_000 }, async () => {
      const { prefix, features, t0, produced } = await seeded();
      const groupId = await caughtUpGroup(features);
      const ends = await bus.topicOffsets(features);
      const since = t0 + 20_500;
      const expected = new Map(ends.map(({ partition, high }) => [partition, Math.min(high, ...produced.filter((m) => m.partition === partition && m.timestamp >= since).map((m) => m.offset))]));

      const dry = await replay(prefix, ['features', '--group', 'trainer', '--from', new Date(since).toISOString(), '--dry-run', '--json'], { TRAINER_GROUP_ID: groupId });
      expect(dry.code, dry.stderr).toBe(0);
      expect(JSON.parse(dry.stdout)).toMatchObject({ group: groupId, service: 'trainer', dry_run: true, inactive_by: 'not checked' });
      expect((await bus.committedOffsets(groupId, features)).map((c) => c.offset)).toEqual(ends.map((e) => e.high));

      const run = await replay(prefix, ['features', '--group', 'trainer', '--from', new Date(since).toISOString(), '--json'], { TRAINER_GROUP_ID: groupId });
      expect(run.code, run.stderr).toBe(0);
      const report = JSON.parse(run.stdout) as RewindReport;
      expect(report).toMatchObject({ topic: features, group: groupId, dry_run: false, inactive_by: 'join' });
      expect(new Map(report.partitions.map((p) => [p.partition, p.offset]))).toEqual(expected);
      expect(report.partitions.reduce((n, p) => n + p.to_reread, 0)).toBe(19);
      expect(new Map((await bus.committedOffsets(groupId, features)).map((c) => [c.partition, c.offset]))).toEqual(expected);

      const reread = await readAll(bus, features, 19, groupId);
      expect(reread.map((m) => text(m.value)).sort()).toEqual(Array.from({ length: 19 }, (_, i) => `m${i + 21}`).sort());
    });

    it('refuses to rewind a group that has an active member, saying to stop the service first, and leaves its offsets and its member alone', { timeout: 240_000 }, async () => {
      const { prefix, features } = await seeded();
      const groupId = await caughtUpGroup(features);
      const before = await bus.committedOffsets(groupId, features);
      let received = 0;
      let active: Consumer | undefined;
      try {
        // A session the command's join round cannot outlast on a loaded machine: the mock counts no heartbeat while the
        // group joins, so a member slow to rejoin within a 6 s session was evicted, the group was truly empty, and the
        // command rightly rewound it (seen in CI).
        active = await bus.consumer({ groupId, topics: [features], sessionTimeoutMs: 15_000, onBatch: async (ms) => void (received += ms.length) });
        await waitFor(() => active!.assignment().length === 4, { message: 'the active member to hold the topic', timeoutMs: 90_000 });

        const refused = await replay(prefix, ['features', '--group', groupId, '--from', 'earliest']);
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`group ${groupId} has another member consuming ${features}`);
        expect(refused.stderr).toContain(`Stop every consumer in group ${groupId} first`);
        expect(await bus.committedOffsets(groupId, features)).toEqual(before);

        // The member goes on: it gets its partitions back and reads what comes next.
        await (await bus.producer()).send(features, [{ key: 'after', value: Buffer.from('after'), timestamp: Date.now() }]);
        await waitFor(() => received >= 1, { message: 'the active member to go on reading', timeoutMs: 60_000 });
      } finally {
        await active?.close();
      }
    });

    it('refuses an active ingest (kafkajs) group named by its service, joining it with the protocol its members speak', { timeout: 240_000 }, async () => {
      const { prefix, features } = await seeded();
      const groupId = uniqueName('ingest');
      const kafkajs = createEventBus({ client: 'kafkajs', brokers: kafkaBrokers(), logger: silentLogger() });
      try {
        // A session a loaded machine cannot expire while the command waits its 8 s: an expired member leaves the group truly
        // empty, and the command then rightly rewinds it (seen once in CI with a 6 s session).
        const active = await kafkajs.consumer({ groupId, topics: [features], sessionTimeoutMs: 30_000, onBatch: async () => undefined });
        await waitFor(() => active.assignment().length === 4, { message: 'the active member to hold the topic', timeoutMs: 90_000 });
        // The mock cluster fails a kafkajs member's SyncGroup that comes after the leader's, so this one is never handed anything.
        const refused = await replay(prefix, ['features', '--group', 'ingest', '--from', '1h', '--wait', '8s'], { INGEST_GROUP_ID: groupId });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain(`group ${groupId} has another member consuming ${features}`);
        expect(refused.stderr).toContain('Stop the ingest service (every process of it) first');
        // The embedded cluster is still up (it aborts when members name different protocols).
        expect(await bus.topicOffsets(features)).toHaveLength(4);
      } finally {
        await kafkajs.close();
      }
    });

    it('refuses bad arguments with exit code 2, naming what is allowed', { timeout: 60_000 }, async () => {
      const prefix = `${uniqueName('replay')}.`;
      const [unknown, badFrom, noGroup, badFlag] = await Promise.all([
        replay(prefix, ['featurez', '--from', 'earliest', '--group', 'trainer']),
        replay(prefix, ['features', '--from', 'yesterday', '--group', 'trainer']),
        replay(prefix, ['features', '--from', 'earliest']),
        replay(prefix, ['features', '--from', 'earliest', '--gorup', 'trainer']),
      ]);
      expect(badFlag.code).toBe(2);
      expect(badFlag.stderr).toMatch(/Unknown option '--gorup'[\s\S]*usage: driftloop/);
      expect(unknown).toMatchObject({ code: 2, stdout: '' });
      expect(unknown.stderr).toContain('unknown topic "featurez": use one of features, predictions, labels, drift-reports, retrain-requests, training-results, evaluations, registry-events, rollout-events, dead-letters');
      expect(badFrom.code).toBe(2);
      expect(badFrom.stderr).toContain('--from: "yesterday" is not a position: use earliest, latest, an offset');
      expect(noGroup.code).toBe(2);
      expect(noGroup.stderr).toContain('--group');
    });
  });
});
