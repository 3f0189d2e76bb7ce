import { describe, expect, it } from 'vitest';
import { createKeyedSerialQueue, createSerialQueue } from '../../../services/common/serial.js';

/** A promise settled from outside, to hold a piece of work open. */
function gate(): { promise: Promise<void>; open(): void; fail(err: Error): void } {
  let open!: () => void;
  let fail!: (err: Error) => void;
  const promise = new Promise<void>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

describe('serial queues', () => {
  it('run queued work one at a time in order, a failure going to its caller and not stopping the queue', async () => {
    const queue = createSerialQueue();
    const log: string[] = [];
    const first = gate();
    const a = queue.run(async () => {
      log.push('a start');
      await first.promise;
      log.push('a end');
      return 'a';
    });
    const b = queue.run(async () => {
      log.push('b');
      throw new Error('b failed');
    });
    const c = queue.run(async () => {
      log.push('c');
      return 'c';
    });
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    first.open();
    await expect(a).resolves.toBe('a');
    await expect(b).rejects.toThrow('b failed');
    await expect(c).resolves.toBe('c');
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
    await expect(queue.idle()).resolves.toBeUndefined();
  });

  it('serialize per key, run keys side by side, and forget a key once its queue runs dry', async () => {
    const queues = createKeyedSerialQueue();
    const log: string[] = [];
    const held = gate();
    const m1 = queues.run('m', async () => {
      log.push('m1 start');
      await held.promise;
      log.push('m1 end');
    });
    const m2 = queues.run('m', async () => void log.push('m2'));
    const other = queues.run('other', async () => void log.push('other'));
    await other;
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual(['m1 start', 'other']);
    expect(queues.size).toBe(1);
    held.fail(new Error('m1 failed'));
    await expect(m1).rejects.toThrow('m1 failed');
    await m2;
    expect(log).toEqual(['m1 start', 'other', 'm2']);
    // Pruned once the last piece has settled.
    await new Promise((resolve) => setImmediate(resolve));
    expect(queues.size).toBe(0);
  });
});
