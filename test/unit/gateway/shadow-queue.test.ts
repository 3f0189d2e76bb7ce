import { describe, expect, it } from 'vitest';
import { createShadowQueue } from '../../../services/gateway/shadow-queue.js';

describe('shadow queue', () => {
  it('runs jobs in order after the caller returns, one at a time', async () => {
    const ran: number[] = [];
    let running = 0;
    let most = 0;
    const queue = createShadowQueue<number>({
      capacity: 10,
      async run(n) {
        most = Math.max(most, ++running);
        await new Promise((r) => setTimeout(r, 1));
        ran.push(n);
        running--;
      },
    });
    for (let i = 0; i < 5; i++) expect(queue.offer(i)).toBe(true);
    expect(ran).toEqual([]);
    await queue.idle();
    expect(ran).toEqual([0, 1, 2, 3, 4]);
    expect(most).toBe(1);
  });

  it('drops (and reports) jobs offered to a full queue without waiting, and keeps going after a failing job', async () => {
    const dropped: number[] = [];
    const errors: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const ran: number[] = [];
    const queue = createShadowQueue<number>({
      capacity: 3,
      async run(n) {
        await gate;
        if (n === 1) throw new Error('boom');
        ran.push(n);
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
    expect(ran).toEqual([0, 2]);
    expect(errors).toEqual(['boom']);
    expect(queue.offer(11)).toBe(true);
    await queue.close();
    expect(ran).toEqual([0, 2, 11]);
    expect(queue.offer(12)).toBe(false);
  });

  it('with capacity 0 mirrors nothing', () => {
    let dropped = 0;
    const queue = createShadowQueue<number>({ capacity: 0, run: async () => undefined, onDropped: () => dropped++ });
    expect(queue.offer(1)).toBe(false);
    expect(dropped).toBe(1);
  });
});
