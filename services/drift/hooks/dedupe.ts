/** What `DedupeCache.run` resolved to: the first caller's value, and whether this caller was a repeat. */
export interface DedupeResult<T> {
  value: T;
  duplicate: boolean;
}

export interface DedupeCache<T> {
  /**
   * Runs `work` once per `key` while the key is remembered: a caller that comes
   * while it runs shares its promise, a later one gets its value, both marked
   * `duplicate`. A failure is forgotten at once, so the next caller tries again;
   * a value `remember` refuses is forgotten once settled.
   */
  run(key: string, work: () => Promise<T>): Promise<DedupeResult<T>>;
  readonly size: number;
}

export interface DedupeOptions<T> {
  /** Keys remembered; the least recently used goes first. @default 10_000 */
  capacity?: number;
  /** Whether a settled value should absorb later repeats. @default always */
  remember?: (value: T) => boolean;
}

/**
 * A bounded LRU of recent keys, for absorbing alert storms cheaply. It is an
 * optimisation only: forgetting a key (eviction, restart) costs one more call
 * into an idempotent `work`, never a second effect.
 */
export function createDedupeCache<T>(options: DedupeOptions<T> = {}): DedupeCache<T> {
  const { capacity = 10_000, remember = () => true } = options;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`dedupe capacity must be a positive integer, got ${capacity}`);
  // Map keeps insertion order: the first key is the least recently used.
  const entries = new Map<string, Promise<T>>();

  const forget = (key: string, promise: Promise<T>): void => {
    if (entries.get(key) === promise) entries.delete(key);
  };

  return {
    get size() {
      return entries.size;
    },
    async run(key, work) {
      const seen = entries.get(key);
      if (seen) {
        entries.delete(key);
        entries.set(key, seen);
        return { value: await seen, duplicate: true };
      }
      // Registered before the first await, so concurrent callers find it.
      const promise = (async () => work())();
      entries.set(key, promise);
      if (entries.size > capacity) entries.delete(entries.keys().next().value as string);
      promise.then(
        (value) => {
          if (!remember(value)) forget(key, promise);
        },
        () => forget(key, promise),
      );
      return { value: await promise, duplicate: false };
    },
  };
}
