export interface ShadowQueue<J> {
  /** Queues a job to run after the current request; false (and counted) when the queue is full. Never waits. */
  offer(job: J): boolean;
  /** Jobs waiting or running. */
  readonly depth: number;
  /** Resolves once every queued job ran. */
  idle(): Promise<void>;
  /** Refuses new jobs, lets the queued ones finish. */
  close(): Promise<void>;
}

export interface ShadowQueueDeps<J> {
  /** Jobs held at most (waiting plus running); 0 drops every job. */
  capacity: number;
  /** How long the first job of a batch waits for others to join it. */
  batchDelayMs: number;
  /** Jobs run together at most. */
  maxBatch: number;
  /** Runs jobs together (one model call for many mirrored requests is far cheaper than one each). */
  run(jobs: J[]): Promise<void>;
  onDropped?(job: J): void;
  onError?(err: unknown, jobs: J[]): void;
}

/**
 * The shadow's work, off the request path: a bounded FIFO drained in
 * batches, one batch at a time, each started from a timer so the responses
 * that queued its jobs went out first. A full queue drops the new job instead
 * of making anyone wait.
 */
export function createShadowQueue<J>(deps: ShadowQueueDeps<J>): ShadowQueue<J> {
  const jobs: J[] = [];
  let running = 0;
  let scheduled = false;
  let closed = false;
  let waiters: (() => void)[] = [];

  function schedule(): void {
    if (scheduled || jobs.length === 0) {
      if (!scheduled && running === 0) waiters.splice(0).forEach((w) => w());
      return;
    }
    scheduled = true;
    setTimeout(() => {
      const batch = jobs.splice(0, deps.maxBatch);
      running = batch.length;
      deps
        .run(batch)
        .catch((err: unknown) => deps.onError?.(err, batch))
        .finally(() => {
          running = 0;
          scheduled = false;
          schedule();
        });
    }, deps.batchDelayMs);
  }

  return {
    offer(job) {
      if (closed || jobs.length + running >= deps.capacity) {
        deps.onDropped?.(job);
        return false;
      }
      jobs.push(job);
      schedule();
      return true;
    },
    get depth() {
      return jobs.length + running;
    },
    idle() {
      return scheduled || running > 0 ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve();
    },
    async close() {
      closed = true;
      await this.idle();
      waiters = [];
    },
  };
}
