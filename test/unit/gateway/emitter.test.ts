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
