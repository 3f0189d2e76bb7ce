import { describe, expect, it } from 'vitest';
import { createShadowQueue } from '../../../services/gateway/shadow-queue.js';

describe('shadow queue', () => {
  it('runs jobs in order and in batches after the caller returns, one batch at a time', async () => {
    const batches: number[][] = [];
    let running = 0;
    let most = 0;
    const queue = createShadowQueue<number>({
      capacity: 10,
      batchDelayMs: 1,
      maxBatch: 3,
      async run(jobs) {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 1));
        batches.push(jobs);
        running--;
      },
    });
    for (let i = 0; i < 7; i++) expect(queue.offer(i)).toBe(true);
    expect(batches).toEqual([]);
    await queue.idle();
    expect(batches).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(most).toBe(1);
  });

  it('drops (and reports) jobs offered to a full queue without waiting, and keeps going after a failing batch', async () => {
    const dropped: number[] = [];
    const errors: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ran: number[] = [];
    const queue = createShadowQueue<number>({
      capacity: 3,
      batchDelayMs: 0,
      maxBatch: 2,
      async run(jobs) {
        await gate;
        if (jobs.includes(1)) throw new Error('boom');
        ran.push(...jobs);
      },
      onDropped: (n) => dropped.push(n),
      onError: (err) => errors.push((err as Error).message),
    });
    const offered = Array.from({ length: 10 }, (_, i) => queue.offer(i));
    expect(offered).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(dropped).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(queue.depth).toBe(3);
    release();
    await queue.idle();
    expect(ran).toEqual([2]);
    expect(errors).toEqual(['boom']);
    expect(queue.offer(11)).toBe(true);
    await queue.close();
    expect(ran).toEqual([2, 11]);
    expect(queue.offer(12)).toBe(false);
  });

  it('with capacity 0 mirrors nothing', () => {
    let dropped = 0;
    const queue = createShadowQueue<number>({ capacity: 0, batchDelayMs: 0, maxBatch: 1, run: async () => undefined, onDropped: () => dropped++ });
    expect(queue.offer(1)).toBe(false);
    expect(dropped).toBe(1);
  });
});
