import { describe, expect, it } from 'vitest';
import { silentLogger, type EventBus, type OutgoingMessage } from '../../../services/common/index.js';
import { createEmitter } from '../../../services/gateway/emitter.js';

/** A producer that records what it was sent and can be held or made to fail: the emitter's logic only, no Kafka. */
function recordingBus(options: { fail?: boolean } = {}) {
  const sent: { topic: string; messages: readonly OutgoingMessage[] }[] = [];
  let hold: Promise<void> = Promise.resolve();
  const bus = {
    producer: async () => ({
      async send(topic: string, messages: readonly OutgoingMessage[]) {
        await hold;
        if (options.fail) throw new TypeError('broker gone');
        sent.push({ topic, messages });
      },
      flush: async () => undefined,
    }),
  } as unknown as EventBus;
  return { bus, sent, holdUntil: (p: Promise<void>) => (hold = p) };
}

const encode = (_topic: string, e: object): Buffer => Buffer.from(JSON.stringify(e));

describe('event emitter', () => {
  it('batches events per topic after the batch wait and keys them', async () => {
    const { bus, sent } = recordingBus();
    const emitter = createEmitter({ bus, encode, topicPrefix: 'p.', logger: silentLogger(), capacity: 100, batchWaitMs: 5 });
    emitter.emit('features', 'e1', { event_id: 'e1' });
    emitter.emit('predictions', 'e1', { event_id: 'e1', variant: 'champion' });
    emitter.emit('features', 'e2', { event_id: 'e2' });
    expect(sent).toEqual([]);
    await emitter.flush();
    expect(sent.map((s) => [s.topic, s.messages.map((m) => m.key)])).toEqual([['p.features', ['e1', 'e2']], ['p.predictions', ['e1']]]);
  });

  it('drops and counts what does not fit in the buffer, never blocking the caller', async () => {
    const { bus, sent, holdUntil } = recordingBus();
    let release!: () => void;
    holdUntil(new Promise((r) => (release = r)));
    const drops: [string, number, string][] = [];
    const emitter = createEmitter({ bus, encode, topicPrefix: '', logger: silentLogger(), capacity: 10, batchWaitMs: 0, maxBatch: 4, onDropped: (t, n, why) => drops.push([t, n, why]) });
    for (let i = 0; i < 4; i++) emitter.emit('features', `a${i}`, {});
    // The first batch of 4 is in flight (held); 10 more fit, the rest are dropped.
    await new Promise((r) => setTimeout(r, 5));
    const accepted = Array.from({ length: 15 }, (_, i) => emitter.emit('features', `b${i}`, {}));
    expect(accepted.filter(Boolean)).toHaveLength(10);
    expect(drops).toEqual(Array(5).fill(['features', 1, 'buffer_full']));
    release();
    await emitter.close();
    expect(sent.flatMap((s) => s.messages.map((m) => m.key))).toEqual([...['a0', 'a1', 'a2', 'a3'], ...Array.from({ length: 10 }, (_, i) => `b${i}`)]);
  });

  it('admits a request only with room for all its events, keeps the room for it, and gives back what it did not use', async () => {
    const { bus, sent, holdUntil } = recordingBus();
    let release!: () => void;
    holdUntil(new Promise((r) => (release = r)));
    const drops: [string, number, string][] = [];
    const emitter = createEmitter({ bus, encode, topicPrefix: '', logger: silentLogger(), capacity: 10, batchWaitMs: 60_000, maxBatch: 100, onDropped: (t, n, why) => drops.push([t, n, why]) });
    const first = emitter.admit(6)!;
    expect(first).not.toBeNull();
    // 4 of 10 left: a request of 6 is refused, one of 4 admitted.
    expect(emitter.admit(6)).toBeNull();
    const second = emitter.admit(4)!;
    expect(second).not.toBeNull();
    // Unreserved events (a shadow's answers) cannot take the reserved room.
    expect(emitter.emit('predictions', 'shadow', {})).toBe(false);
    for (let i = 0; i < 6; i++) expect(first.emit('features', `f${i}`, {})).toBe(true);
    second.emit('features', 's0', {});
    second.release();
    // What the second did not use is free again: 3 events.
    expect(emitter.admit(4)).toBeNull();
    const third = emitter.admit(3)!;
    for (let i = 0; i < 3; i++) expect(third.emit('predictions', `t${i}`, {})).toBe(true);
    expect(emitter.pending).toBe(10);
    expect(drops).toEqual([['predictions', 1, 'buffer_full']]);
    release();
    await emitter.close();
    expect(sent.flatMap((s) => s.messages.map((m) => m.key)).sort()).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 's0', 't0', 't1', 't2'].sort());
  });

  it('with the drop policy admits every request and drops, counted, what does not fit', () => {
    const { bus } = recordingBus();
    const drops: [string, number, string][] = [];
    const emitter = createEmitter({ bus, encode, topicPrefix: '', logger: silentLogger(), capacity: 2, batchWaitMs: 60_000, overload: 'drop', onDropped: (t, n, why) => drops.push([t, n, why]) });
    const ticket = emitter.admit(4)!;
    expect([0, 1, 2, 3].map((i) => ticket.emit('features', `f${i}`, {}))).toEqual([true, true, false, false]);
    expect(drops).toHaveLength(2);
  });

  it('counts a batch the broker refuses as dropped and goes on', async () => {
    const { bus } = recordingBus({ fail: true });
    const drops: [string, number, string][] = [];
    const emitter = createEmitter({ bus, encode, topicPrefix: '', logger: silentLogger(), capacity: 10, batchWaitMs: 0, onDropped: (t, n, why) => drops.push([t, n, why]) });
    emitter.emit('predictions', 'x', {});
    emitter.emit('predictions', 'y', {});
    await emitter.flush();
    expect(drops).toEqual([['predictions', 2, 'send_failed']]);
    expect(emitter.pending).toBe(0);
  });

  it('drops (and counts) an event its schema refuses, sending the rest of the batch', async () => {
    const { bus, sent } = recordingBus();
    const drops: [string, number, string][] = [];
    const strict = (_topic: string, e: object): Buffer => {
      if (!('event_id' in e)) throw new Error('event_id is required');
      return Buffer.from(JSON.stringify(e));
    };
    const emitter = createEmitter({ bus, encode: strict, topicPrefix: '', logger: silentLogger(), capacity: 10, batchWaitMs: 0, onDropped: (t, n, why) => drops.push([t, n, why]) });
    emitter.emit('features', 'a', { event_id: 'a' });
    emitter.emit('features', 'b', {});
    await emitter.flush();
    expect(drops).toEqual([['features', 1, 'invalid']]);
    expect(sent.flatMap((s) => s.messages.map((m) => m.key))).toEqual(['a']);
  });
});
