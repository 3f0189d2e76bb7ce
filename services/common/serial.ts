/**
 * Runs async work one piece at a time, in the order it was queued: each piece
 * starts once everything queued before it has settled (a failure does not
 * stop the queue; its caller gets it).
 */
export interface SerialQueue {
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Settles once everything queued so far has. */
  idle(): Promise<void>;
}

export function createSerialQueue(): SerialQueue {
  let tail: Promise<unknown> = Promise.resolve();
  return {
    run(fn) {
      const next = tail.then(fn, fn);
      tail = next.catch(() => undefined);
      return next;
    },
    idle: () => tail.then(() => undefined),
  };
}

/**
 * One {@link SerialQueue} per key (a model): work on one key is serialized,
 * keys run side by side. A key is forgotten once its queue runs dry, so the
 * map holds only keys with work in flight.
 */
export interface KeyedSerialQueue {
  run<T>(key: string, fn: () => Promise<T>): Promise<T>;
  /** Keys with work queued or running. */
  readonly size: number;
}

export function createKeyedSerialQueue(): KeyedSerialQueue {
  const tails = new Map<string, Promise<unknown>>();
  return {
    run(key, fn) {
      const next = (tails.get(key) ?? Promise.resolve()).then(fn, fn);
      const tail = next.catch(() => undefined);
      tails.set(key, tail);
      // The last piece of a key removes it, unless more was queued behind it meanwhile.
      void tail.then(() => {
        if (tails.get(key) === tail) tails.delete(key);
      });
      return next;
    },
    get size() {
      return tails.size;
    },
  };
}
