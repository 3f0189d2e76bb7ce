import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, it, type TestContext } from 'vitest';
import {
  createEventBus,
  type Consumer,
  type ConsumerOptions,
  type EventBus,
  type IncomingMessage,
  type OutgoingMessage,
  type TopicPartition,
  type TopicPartitionOffset,
} from '../../../services/common/bus/index.js';
import { KafkaError } from '../../../services/common/errors.js';
import { retry } from '../../../services/common/retry.js';
import { silentLogger, type Logger } from '../../../services/common/logger.js';
import { kafkaBrokers, uniqueName, waitFor } from '../../support/index.js';

/**
 * One contract, two adapters, the real (mock) cluster. Tests run concurrently:
 * most of their time is the mock's 3 s initial rebalance delay per new group.
 * Sessions are long enough that a member starved of CPU by the whole suite
 * keeps its place: with 3 s, kafkajs members were dropped and rejoined, and
 * (nothing committed) were rightly handed everything again, failing the
 * exactly-once checks. Nothing here waits for a session to expire; only a
 * second member joining a live group pays for it (the mock elects a leader
 * session - 1 s after the join).
 */
const SESSION_TIMEOUT_MS = 15_000;
/** Long enough for a starved member to rejoin a rebalance round before the mock cluster elects without it (each round waits session - 1 s). */
const REBALANCE_SESSION_TIMEOUT_MS = 10_000;
const ADAPTERS = ['rdkafka', 'kafkajs'] as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The consumer a handler belongs to, which exists only once `bus.consumer()` has returned. */
function later<T>(): { get: Promise<T>; set: (value: T) => void } {
  let set!: (value: T) => void;
  const get = new Promise<T>((resolve) => (set = resolve));
  return { get, set };
}
const text = (b: Buffer | null): string | null => (b === null ? null : b.toString());
const idOf = (m: { topic: string; partition: number; offset: number }): string => `${m.partition}@${m.offset}`;

function keyed(keys: number, perKey: number, prefix = 'k'): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  // Interleaved so that consecutive messages of one key are separated by all others.
  for (let seq = 0; seq < perKey; seq++) for (let k = 0; k < keys; k++) out.push({ key: `${prefix}${k}`, value: Buffer.from(`${prefix}${k}:${seq}`) });
  return out;
}

/** Every (partition, offset) the topic holds, from its watermarks. */
async function allIds(bus: EventBus, topic: string): Promise<string[]> {
  const ids: string[] = [];
  for (const { partition, low, high } of await bus.topicOffsets(topic)) for (let o = low; o < high; o++) ids.push(`${partition}@${o}`);
  return ids.sort();
}

/** Next offset to read per partition after `messages`. */
function nextOffsets(messages: readonly IncomingMessage[]): TopicPartitionOffset[] {
  const next = new Map<string, TopicPartitionOffset>();
  for (const m of messages) {
    const key = `${m.topic}/${m.partition}`;
    if ((next.get(key)?.offset ?? -1) < m.offset + 1) next.set(key, { topic: m.topic, partition: m.partition, offset: m.offset + 1 });
  }
  return [...next.values()].sort((a, b) => a.partition - b.partition);
}

function byPartition(messages: readonly IncomingMessage[]): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const m of messages) (out.get(m.partition) ?? out.set(m.partition, []).get(m.partition)!).push(m.offset);
  return out;
}

/** A pino logger whose warnings the test can read. */
function capturingLogger(): { logger: Logger; warnings: Record<string, unknown>[] } {
  const warnings: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) warnings.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), warnings };
}

describe.concurrent.each(ADAPTERS)('EventBus over %s', (client) => {
  let bus: EventBus;

  beforeAll(() => {
    bus = createEventBus({ client, brokers: kafkaBrokers(), clientId: uniqueName('contract'), logger: silentLogger() });
  });
  afterAll(() => bus.close());

  /** A consumer that records every message and is closed when the test ends. */
  async function consume(
    ctx: TestContext,
    topic: string,
    options: Partial<ConsumerOptions> & { on?: (batch: IncomingMessage[]) => Promise<void> | void; busOverride?: EventBus } = {},
  ): Promise<{ consumer: Consumer; received: IncomingMessage[]; errors: Error[]; groupId: string }> {
    const received: IncomingMessage[] = [];
    const errors: Error[] = [];
    const { on, busOverride, ...rest } = options;
    const groupId = rest.groupId ?? uniqueName('group');
    const consumer = await (busOverride ?? bus).consumer({
      topics: [topic],
      sessionTimeoutMs: SESSION_TIMEOUT_MS,
      onError: (err) => void errors.push(err),
      ...rest,
      groupId,
      onBatch: async (batch) => {
        await on?.(batch);
        for (const m of batch) received.push(m);
      },
    });
    ctx.onTestFinished(() => consumer.close());
    return { consumer, received, errors, groupId };
  }

  it('delivers every key’s messages in the order they were sent, across partitions', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('order');
    const producer = await bus.producer();
    const sent = keyed(40, 50);
    // Several calls, to check order across calls as well as within one.
    for (let i = 0; i < sent.length; i += 500) await producer.send(topic, sent.slice(i, i + 500));
    const { received, errors } = await consume(ctx, topic);
    await waitFor(() => received.length >= sent.length, { message: 'all 2000 messages' });
    await sleep(200);
    expect(received).toHaveLength(sent.length);
    const perKey = new Map<string, { partitions: Set<number>; seqs: number[] }>();
    for (const m of received) {
      const [key, seq] = text(m.value)!.split(':') as [string, string];
      expect(text(m.key)).toBe(key);
      const entry = perKey.get(key) ?? perKey.set(key, { partitions: new Set(), seqs: [] }).get(key)!;
      entry.partitions.add(m.partition);
      entry.seqs.push(Number(seq));
    }
    expect(perKey.size).toBe(40);
    for (const { partitions, seqs } of perKey.values()) {
      expect(partitions.size).toBe(1);
      expect(seqs).toEqual(Array.from({ length: 50 }, (_, i) => i));
    }
    expect(new Set(received.map((m) => m.partition)).size).toBe(4);
    for (const offsets of byPartition(received).values()) expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(errors).toEqual([]);
  });

  it('round-trips keys, values, headers, timestamps and explicit partitions', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('roundtrip');
    const producer = await bus.producer();
    const binary = Buffer.from([0, 255, 1, 254, 10]);
    await producer.send(topic, [
      { key: 'string-key', value: Buffer.from('a'), headers: { kind: 'text', bytes: Buffer.from('é ok') }, timestamp: 1_700_000_000_123 },
      { key: binary, value: binary },
      { key: null, value: Buffer.from('no key') },
      { key: 'tombstone', value: null },
    ]);
    await producer.send(topic, [{ key: 'pinned', value: Buffer.from('p2'), partition: 2, headers: { n: '1' } }]);
    await expect(producer.send(topic, [{ key: 'x', value: null, partition: 9 }])).rejects.toBeInstanceOf(KafkaError);
    await expect(producer.send(topic, [{ key: 'x', value: null, headers: { raw: binary } }])).rejects.toThrow(/UTF-8 text/);
    await expect(producer.send(uniqueName('missing'), [{ key: 'x', value: null, partition: 0 }])).rejects.toThrow(/does not exist/);

    const { received } = await consume(ctx, topic);
    await waitFor(() => received.length >= 5, { message: '5 messages' });
    const byValue = (v: string | null): IncomingMessage => received.find((m) => text(m.value) === v)!;
    const a = byValue('a');
    expect(text(a.key)).toBe('string-key');
    expect(a.headers).toEqual({ kind: Buffer.from('text'), bytes: Buffer.from('é ok') });
    expect(a.timestamp).toBe(1_700_000_000_123);
    const bin = received.find((m) => m.value !== null && m.value.equals(binary))!;
    expect(bin.key).toEqual(binary);
    expect(bin.headers).toEqual({});
    expect(byValue('no key').key).toBeNull();
    expect(byValue(null).key).toEqual(Buffer.from('tombstone'));
    const pinned = byValue('p2');
    expect(pinned.partition).toBe(2);
    expect(pinned.headers).toEqual({ n: Buffer.from('1') });
    expect(Math.abs(pinned.timestamp - Date.now())).toBeLessThan(60_000);
    expect(received).toHaveLength(5);
  });

  it('resumes from the last commit after a restart, losing nothing', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('restart');
    const producer = await bus.producer();
    await producer.send(topic, keyed(20, 20));
    const groupId = uniqueName('group');
    const revoked: TopicPartition[][] = [];
    const first = await consume(ctx, topic, { groupId, onRevoke: (partitions) => void revoked.push(partitions) });
    await waitFor(() => first.received.length >= 400, { message: 'first member read all 400' });
    // Commit about half of each partition: the next member must start exactly there.
    const committed = nextOffsets(first.received).map((o) => ({ ...o, offset: Math.floor(o.offset / 2) }));
    await first.consumer.commit(committed);
    await first.consumer.close();
    expect(revoked).toHaveLength(1);
    expect(revoked[0]!.map((p) => p.partition).sort()).toEqual([0, 1, 2, 3]);
    expect(await bus.committedOffsets(groupId, topic)).toEqual(committed);

    await producer.send(topic, keyed(20, 5, 'late'));
    const second = await consume(ctx, topic, { groupId });
    const expected = (await allIds(bus, topic)).filter((id) => {
      const [partition, offset] = id.split('@').map(Number) as [number, number];
      return offset >= committed.find((c) => c.partition === partition)!.offset;
    });
    await waitFor(() => second.received.length >= expected.length, { message: `${expected.length} messages after the restart` });
    await sleep(200);
    expect(second.received.map(idOf).sort()).toEqual(expected);
    expect(first.errors).toEqual([]);
    expect(second.errors).toEqual([]);
  });

  it('splits partitions between two members, awaiting onRevoke before the second gets them', { timeout: 150_000 }, async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('rebalance');
    const producer = await bus.producer();
    await producer.send(topic, keyed(40, 50));
    const groupId = uniqueName('group');
    type Event = { member: 'a' | 'b'; kind: 'revoke-start' | 'revoke-end' | 'assign' | 'batch'; at: number; partitions: number[] };
    const events: Event[] = [];
    const note = (member: Event['member'], kind: Event['kind'], partitions: number[]): void =>
      void events.push({ member, kind, at: performance.now(), partitions: [...new Set(partitions)].sort() });
    const processed = { a: [] as IncomingMessage[], b: [] as IncomingMessage[] };
    const handovers: { offsets: TopicPartitionOffset[]; committed: boolean; failure: unknown }[] = [];
    let secondAssigned = false;
    const aConsumer = later<Consumer>();

    const a = await consume(ctx, topic, {
      groupId,
      // When a member joins, the mock cluster elects a leader one second less than the session timeout later,
      // whoever has rejoined by then. With the file's 3 s a starved first member missed that round twice in CI:
      // the leader, seeing it own nothing, handed the second member partitions the first still held.
      sessionTimeoutMs: REBALANCE_SESSION_TIMEOUT_MS,
      maxBatchMessages: 10,
      // Slow until the second member has partitions (about 30 s alone), so the first cannot finish within the two rounds.
      on: async (batch) => {
        note('a', 'batch', batch.map((m) => m.partition));
        if (!secondAssigned) await sleep(150);
        for (const m of batch) processed.a.push(m);
      },
      onRevoke: async (partitions) => {
        note('a', 'revoke-start', partitions.map((p) => p.partition));
        await sleep(200);
        const offsets = nextOffsets(processed.a).filter((o) => partitions.some((p) => p.partition === o.partition));
        // The mock cluster refuses commits while an eager rebalance is pending (real brokers accept them
        // from the current generation), so the kafkajs member's commit here fails on it. It also waits for
        // every member's SyncGroup before it accepts commits again (real brokers only for the leader's):
        // hence a retry of a few seconds, as a service would do anyway (under load the other SyncGroup can take a while).
        const consumer = await aConsumer.get;
        // rdkafka's commit succeeds once the other member has synced, which under load takes seconds;
        // kafkajs's never does on the mock, and a long retry would hold its rejoin past the rebalance.
        // The retries stop well inside the session, as a service's must: the mock counts no heartbeat while
        // the group is joining, so a member still in onRevoke a session after its last join or sync is
        // evicted, and the other member is handed its partitions before this hook ends (seen in CI with
        // about 21 s of retries against 10 s sessions).
        const giveUpAt = performance.now() + REBALANCE_SESSION_TIMEOUT_MS - 3000;
        const patience = client === 'rdkafka' ? { retries: Infinity, maxDelayMs: 1000, shouldRetry: () => performance.now() < giveUpAt } : { retries: 2, shouldRetry: () => true };
        const failure = await retry(() => consumer.commit(offsets), { ...patience, initialDelayMs: 100 }).then(
          () => null,
          (err: unknown) => err,
        );
        handovers.push({ offsets, committed: failure === null, failure });
        note('a', 'revoke-end', partitions.map((p) => p.partition));
      },
      onAssign: (partitions) => note('a', 'assign', partitions.map((p) => p.partition)),
    });
    aConsumer.set(a.consumer);
    await waitFor(() => processed.a.length >= 100, { message: 'first member under way' });

    const b = await consume(ctx, topic, {
      groupId,
      sessionTimeoutMs: REBALANCE_SESSION_TIMEOUT_MS,
      on: (batch) => {
        note('b', 'batch', batch.map((m) => m.partition));
        for (const m of batch) processed.b.push(m);
      },
      onAssign: (partitions) => {
        secondAssigned = true;
        note('b', 'assign', partitions.map((p) => p.partition));
      },
    });
    const everything = await allIds(bus, topic);
    expect(everything).toHaveLength(2000);
    // Under load the rebalance can outlast the first member's slow pace, and each member's view of its
    // assignment settles at its own moment: wait until they split the four partitions between them.
    const split = (): boolean => {
      const parts = [...a.consumer.assignment(), ...b.consumer.assignment()].map((p) => p.partition).sort();
      return a.consumer.assignment().length > 0 && b.consumer.assignment().length > 0 && JSON.stringify(parts) === '[0,1,2,3]';
    };
    await waitFor(split, { timeoutMs: 60_000, message: 'the two members to split the partitions', onTimeout: () => `a ${JSON.stringify(a.consumer.assignment())}, b ${JSON.stringify(b.consumer.assignment())}` });
    await waitFor(() => new Set([...processed.a, ...processed.b].map(idOf)).size >= everything.length, { timeoutMs: 45_000, message: 'every message processed' });

    const aParts = a.consumer.assignment().map((p) => p.partition);
    const bParts = b.consumer.assignment().map((p) => p.partition);
    expect(aParts.length).toBeGreaterThan(0);
    expect(bParts.length).toBeGreaterThan(0);
    expect([...aParts, ...bParts].sort()).toEqual([0, 1, 2, 3]);
    expect(new Set([...processed.a, ...processed.b].map(idOf))).toEqual(new Set(everything));

    const firstRevoke = events.find((e) => e.member === 'a' && e.kind === 'revoke-start')!;
    const firstRevokeEnd = events.find((e) => e.member === 'a' && e.kind === 'revoke-end')!;
    const firstOfB = events.find((e) => e.member === 'b')!;
    expect(firstRevoke.partitions).toEqual(expect.arrayContaining(bParts));
    expect(firstOfB.at).toBeGreaterThan(firstRevokeEnd.at);
    // No batch of a revoked partition reaches the first member between its onRevoke and its next assignment.
    const nextAssignOfA = events.find((e) => e.member === 'a' && e.kind === 'assign' && e.at > firstRevoke.at);
    const strays = events.filter(
      (e) => e.member === 'a' && e.kind === 'batch' && e.at > firstRevoke.at && (!nextAssignOfA || e.at < nextAssignOfA.at) && e.partitions.some((p) => firstRevoke.partitions.includes(p)),
    );
    expect(strays).toEqual([]);
    // Where the handover commit succeeded, the second member starts exactly there: nothing lost, nothing twice.
    const handover = handovers[0]!;
    // rdkafka's commit goes through once the group is up again. The mock keeps a joining round open 9 s (a session less
    // one) and refuses commits throughout; a member waiting that out in onRevoke is evicted, so the hook stops first and
    // the commit may fail, as a Kafka error of the rebalance and nothing else. The second member then re-reads from
    // the last commit: at least once.
    if (client === 'rdkafka' && !handover.committed) expect(handover.failure).toBeInstanceOf(KafkaError);
    for (const partition of bParts) {
      const firstOffset = processed.b.find((m) => m.partition === partition)?.offset;
      const handedOver = handover.offsets.find((c) => c.partition === partition)?.offset ?? 0;
      if (firstOffset === undefined) continue;
      if (handover.committed) expect(firstOffset).toBe(handedOver);
      else expect(firstOffset).toBeLessThanOrEqual(handedOver);
    }
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
  });

  it('starts consuming a topic that did not exist yet when it subscribed, within seconds', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('later');
    const { received } = await consume(ctx, topic);
    // Let the member join and see "unknown topic" first, as a service started before its producers does.
    await sleep(1500);
    const producer = await bus.producer();
    await producer.send(topic, keyed(4, 5));
    await waitFor(() => received.length >= 20, { message: 'messages of the late topic', timeoutMs: 15_000 });
    expect(received.map(idOf).sort()).toEqual(await allIds(bus, topic));
  });

  it('delivers every offset exactly once while the handler pauses and resumes under load', { timeout: 180_000 }, async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('backpressure');
    const producer = await bus.producer();
    await producer.send(topic, keyed(4, 1));
    const own = later<Consumer>();
    let batches = 0;
    const { received, consumer } = await consume(ctx, topic, {
      maxBatchMessages: 500,
      on: async () => {
        // Backpressure as the ingest does it: pause from the handler, resume when "storage" is done.
        if (++batches % 2 === 0) {
          const c = await own.get;
          c.pause();
          setTimeout(() => c.resume(), 5 + (batches % 3) * 20);
        }
      },
    });
    own.set(consumer);
    // Joining a group on the shared embedded cluster takes tens of seconds when the end-to-end stacks load it (seen in CI).
    await waitFor(() => received.length >= 4, { message: 'first messages', timeoutMs: 90_000 });
    const total = 4 + 20_000;
    for (let i = 0; i < 20; i++) {
      await producer.send(topic, keyed(100, 10, `b${i}-`));
      // Within what the embedded broker retains even when a pause discards prefetched data.
      await waitFor(() => received.length >= 4 + (i - 1) * 1000, { message: 'consumer keeps up', timeoutMs: 30_000 });
    }
    await waitFor(() => received.length >= total, { message: `${total} messages`, timeoutMs: 60_000 });
    await sleep(300);
    const offsets = received.map((m) => `${m.partition}@${m.offset}`);
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(received).toHaveLength(total);
  });

  it('stops delivering while paused and resumes where it stopped', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('pause');
    const producer = await bus.producer();
    await producer.send(topic, keyed(8, 25));
    const own = later<Consumer>();
    let countAtPause = -1;
    const { received, consumer } = await consume(ctx, topic, {
      maxBatchMessages: 10,
      on: async (batch) => {
        // Backpressure from inside the handler, as a service does it.
        if (countAtPause < 0 && received.length + batch.length >= 50) {
          (await own.get).pause();
          countAtPause = received.length + batch.length;
        }
      },
    });
    own.set(consumer);
    await waitFor(() => countAtPause > 0, { message: 'the handler paused' });
    expect(consumer.isPaused()).toBe(true);
    await producer.send(topic, keyed(8, 10, 'late'));
    await sleep(1500);
    expect(received).toHaveLength(countAtPause);

    consumer.resume();
    expect(consumer.isPaused()).toBe(false);
    await waitFor(() => received.length >= 280, { message: 'all 280 after resume' });
    await sleep(200);
    expect(received.map(idOf).sort()).toEqual(await allIds(bus, topic));
    for (const offsets of byPartition(received).values()) expect(offsets).toEqual(Array.from({ length: offsets.length }, (_, i) => i));

    // A pause from outside the handler, for some partitions only, survives until resumed.
    const before = received.length;
    consumer.pause([{ topic, partition: 0 }, { topic, partition: 1 }]);
    await producer.send(
      topic,
      [0, 1, 2, 3].map((partition) => ({ key: null, value: Buffer.from(`p${partition}`), partition })),
    );
    await waitFor(() => received.length >= before + 2, { message: 'unpaused partitions delivered' });
    await sleep(1000);
    expect(received.slice(before).map((m) => m.partition).sort()).toEqual([2, 3]);
    consumer.resume([{ topic, partition: 0 }, { topic, partition: 1 }]);
    await waitFor(() => received.length >= before + 4, { message: 'paused partitions delivered after resume' });
    expect(received.slice(before).map((m) => m.partition).sort()).toEqual([0, 1, 2, 3]);
  });

  it('sends 50k messages in one call and consumes them all', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('large');
    const producer = await bus.producer();
    const messages: OutgoingMessage[] = Array.from({ length: 50_000 }, (_, i) => ({ key: `k${i % 1000}`, value: Buffer.from(`value-${i}`.padEnd(32, '.')) }));
    let started = performance.now();
    await producer.send(topic, messages);
    const sendMs = performance.now() - started;
    const offsets = await bus.topicOffsets(topic);
    expect(offsets.reduce((sum, o) => sum + o.high - o.low, 0)).toBe(50_000);

    started = performance.now();
    let firstAt = 0;
    const { received } = await consume(ctx, topic, { on: () => void (firstAt ||= performance.now()) });
    await waitFor(() => received.length >= 50_000, { message: '50k messages' });
    const consumeMs = performance.now() - firstAt;
    await sleep(200);
    expect(received).toHaveLength(50_000);
    expect(new Set(received.map((m) => text(m.value))).size).toBe(50_000);
    console.log(`${client}: sent 50k x 32 B in ${sendMs.toFixed(0)} ms; consumed in ${consumeMs.toFixed(0)} ms after the first batch`);
  });

  it('accepts one send larger than the client’s local queue without dropping anything', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('queue');
    const producer = await bus.producer();
    // librdkafka queues at most 100k messages locally; past that produce() fails with QUEUE_FULL.
    await producer.send(topic, Array.from({ length: 120_000 }, (_, i) => ({ key: `k${i % 100}`, value: Buffer.from(String(i)) })));
    await producer.flush();
    const offsets = await bus.topicOffsets(topic);
    expect(offsets.reduce((sum, o) => sum + o.high - o.low, 0)).toBe(120_000);
  });

  it('reports lag from its own positions and high watermarks', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('lag');
    const producer = await bus.producer();
    await producer.send(topic, Array.from({ length: 200 }, (_, i) => ({ key: 'one-key', value: Buffer.from(String(i)) })));
    const partition = (await bus.topicOffsets(topic)).find((o) => o.high > 0)!.partition;
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inFirstBatch = false;
    const { consumer, received } = await consume(ctx, topic, {
      maxBatchMessages: 10,
      on: async () => {
        if (received.length > 0) return;
        inFirstBatch = true;
        await gate;
      },
    });
    try {
      await waitFor(() => inFirstBatch, { message: 'first batch' });
      expect(consumer.lag().find((l) => l.partition === partition)).toEqual({ topic, partition, position: 10, highWatermark: 200, lag: 190 });
    } finally {
      release();
    }
    await waitFor(() => received.length >= 200, { message: 'all 200' });
    const caughtUp = await waitFor(() => {
      const lag = consumer.lag();
      return lag.length === 4 && lag.every((l) => l.lag === 0) ? lag : undefined;
    }, { message: 'zero lag on all four partitions' });
    expect(caughtUp.find((l) => l.partition === partition)).toEqual({ topic, partition, position: 200, highWatermark: 200, lag: 0 });
  });

  it('reports topic and committed offsets that match what was produced and committed', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('offsets');
    expect(await bus.topicOffsets(topic)).toEqual([]);
    const producer = await bus.producer();
    await producer.send(topic, [{ key: 'first', value: null }]);
    const initial = await bus.topicOffsets(topic);
    expect(initial.map((o) => o.partition)).toEqual([0, 1, 2, 3]);
    const counts = [10, 20, 30, 0];
    await producer.send(
      topic,
      counts.flatMap((n, partition) => Array.from({ length: n }, () => ({ key: null, value: Buffer.from('x'), partition }))),
    );
    expect(await bus.topicOffsets(topic)).toEqual(initial.map((o) => ({ partition: o.partition, low: 0, high: o.high + counts[o.partition]! })));

    const { consumer, received, groupId } = await consume(ctx, topic);
    await waitFor(() => received.length >= 61, { message: '61 messages' });
    expect(await bus.committedOffsets(groupId, topic)).toEqual([]);
    const commits = [
      { topic, partition: 0, offset: 5 },
      { topic, partition: 1, offset: 20 },
    ];
    await consumer.commit(commits);
    expect(await bus.committedOffsets(groupId, topic)).toEqual(commits);
    await consumer.close();
    // Nothing is committed behind the application's back, not even on close.
    expect(await bus.committedOffsets(groupId, topic)).toEqual(commits);
    expect(await bus.committedOffsets(uniqueName('nobody'), topic)).toEqual([]);
  });

  it('reads a batch again from the last commit when its handler rejects', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('retry');
    const producer = await bus.producer();
    await producer.send(topic, Array.from({ length: 30 }, (_, i) => ({ key: 'same', value: Buffer.from(String(i)) })));
    let calls = 0;
    const failure = new Error('handler failed once');
    const own = later<Consumer>();
    const { received, errors, consumer } = await consume(ctx, topic, {
      maxBatchMessages: 10,
      on: async (batch) => {
        calls++;
        if (calls === 2) throw failure;
        if (calls === 1) await (await own.get).commit(nextOffsets(batch));
      },
    });
    own.set(consumer);
    await waitFor(() => received.length >= 30, { message: 'all 30 after the retry' });
    await sleep(300);
    expect(errors).toEqual([failure]);
    expect(received.map((m) => Number(text(m.value)))).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('warns with the skipped range when retention deleted what the group had not read', async (ctx) => {
    const { expect } = ctx;
    const topic = uniqueName('trimmed');
    const producer = await bus.producer();
    await producer.send(topic, [{ key: 'creates-the-topic', value: null }]);
    await producer.send(topic, Array.from({ length: 10 }, () => ({ key: null, value: Buffer.from('early'), partition: 0 })));
    const groupId = uniqueName('group');
    const early = await consume(ctx, topic, { groupId });
    await waitFor(() => early.received.length >= 11, { message: 'early messages' });
    await early.consumer.commit([{ topic, partition: 0, offset: 3 }]);
    await early.consumer.close();

    // The mock keeps ~5 MiB per partition, trimming whole batches: 7 batches of ~1 MB push offset 3 out.
    const kilobyte = Buffer.alloc(1000, 1);
    for (let i = 0; i < 7; i++) await producer.send(topic, Array.from({ length: 1000 }, () => ({ key: null, value: kilobyte, partition: 0 })));
    const { low, high } = (await bus.topicOffsets(topic)).find((o) => o.partition === 0)!;
    expect(low).toBeGreaterThan(3);
    expect(high).toBeGreaterThan(low);

    const { logger, warnings } = capturingLogger();
    const watched = createEventBus({ client, brokers: kafkaBrokers(), clientId: uniqueName('watched'), logger });
    ctx.onTestFinished(() => watched.close());
    const late = await consume(ctx, topic, { groupId, busOverride: watched });
    await waitFor(() => late.received.filter((m) => m.partition === 0).length >= high - low, { message: 'what is left of partition 0' });
    expect(late.received.find((m) => m.partition === 0)!.offset).toBe(low);
    const warning = await waitFor(() => warnings.find((w) => typeof w.msg === 'string' && w.msg.includes('offset out of range')));
    expect(warning).toMatchObject({ topic, partition: 0, fromOffset: 3, toOffset: low, skipped: low - 3 });
  });
});

describe('EventBus across adapters', () => {
  it('places each key on the same partition whichever adapter produced it', async (ctx) => {
    const { expect } = ctx;
    const keys = Array.from({ length: 30 }, (_, i) => `customer-${i}`);
    const placements: Record<string, Map<string, number>> = {};
    await Promise.all(
      ADAPTERS.map(async (client) => {
        const bus = createEventBus({ client, brokers: kafkaBrokers(), clientId: uniqueName('placement'), logger: silentLogger() });
        ctx.onTestFinished(() => bus.close());
        const topic = uniqueName(`placement_${client}`);
        await (await bus.producer()).send(topic, keys.map((key) => ({ key, value: null })));
        const received: IncomingMessage[] = [];
        await bus.consumer({ groupId: uniqueName('group'), topics: [topic], sessionTimeoutMs: SESSION_TIMEOUT_MS, onBatch: async (batch) => void received.push(...batch) });
        await waitFor(() => received.length >= keys.length, { message: `${client}: all keys` });
        placements[client] = new Map(received.map((m) => [text(m.key)!, m.partition]));
      }),
    );
    expect(placements.rdkafka).toEqual(placements.kafkajs);
    expect(new Set(placements.rdkafka!.values()).size).toBe(4);
  });
});
