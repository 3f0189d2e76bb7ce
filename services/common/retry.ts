import { isRetriable } from './errors.js';

export interface RetryOptions {
  /** Attempts after the first; `Infinity` retries until `signal` aborts. @default 5 */
  retries?: number;
  /** @default 100 */
  initialDelayMs?: number;
  /** @default 10_000 */
  maxDelayMs?: number;
  /** @default 2 */
  factor?: number;
  /** Share of each delay that is randomized, 0..1, so many clients do not retry in lockstep. @default 0.2 */
  jitter?: number;
  /** Which failures to retry. @default isRetriable: DriftloopError.retriable, never TypeError */
  shouldRetry?: (err: unknown) => boolean;
  /** Called before each wait, e.g. to log or count. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  signal?: AbortSignal;
  /** Replaceable for tests that fake time. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

/** Thrown from inside `fn` through `bail` to stop retrying at once. */
class BailSignal {
  constructor(readonly error: unknown) {}
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function backoffDelayMs(attempt: number, options: RetryOptions = {}, random = Math.random): number {
  const { initialDelayMs = 100, maxDelayMs = 10_000, factor = 2, jitter = 0.2 } = options;
  const base = Math.min(maxDelayMs, initialDelayMs * factor ** (attempt - 1));
  return Math.round(base * (1 - jitter + 2 * jitter * random()));
}

/**
 * Runs `fn` until it succeeds, the failure is not retriable, or retries run out.
 * `fn` receives `bail(err)` to give up immediately with `err`.
 */
export async function retry<T>(
  fn: (bail: (err: unknown) => never, attempt: number) => Promise<T>,
  options: RetryOptions = {},
): Promise<T> {
  const { retries = 5, shouldRetry = isRetriable, onRetry, signal, sleep: wait = sleep, random = Math.random } = options;
  const bail = (err: unknown): never => {
    throw new BailSignal(err);
  };
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(bail, attempt);
    } catch (err) {
      if (err instanceof BailSignal) throw err.error;
      if (attempt > retries || !shouldRetry(err) || signal?.aborted) throw err;
      const delayMs = backoffDelayMs(attempt, options, random);
      onRetry?.(err, attempt, delayMs);
      await wait(delayMs, signal);
    }
  }
}
