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
  /** Jobs held at most (waiting plus the running one); 0 drops every job. */
  capacity: number;
  run(job: J): Promise<void>;
  onDropped?(job: J): void;
  onError?(err: unknown, job: J): void;
}

/**
 * The shadow's work, off the request path: a bounded FIFO run one job at a
 * time, each started from setImmediate so the response that queued it goes
 * out first. A full queue drops the new job instead of making anyone wait.
 */
export function createShadowQueue<J>(deps: ShadowQueueDeps<J>): ShadowQueue<J> {
  const jobs: J[] = [];
  let running = false;
  let closed = false;
  let waiters: (() => void)[] = [];

  function next(): void {
    const job = jobs[0];
    if (job === undefined) {
      running = false;
      waiters.splice(0).forEach((w) => w());
      return;
    }
    deps
      .run(job)
      .catch((err: unknown) => deps.onError?.(err, job))
      .finally(() => {
        jobs.shift();
        setImmediate(next);
      });
  }

  return {
    offer(job) {
      if (closed || jobs.length >= deps.capacity) {
        deps.onDropped?.(job);
        return false;
      }
      jobs.push(job);
      if (!running) {
        running = true;
        setImmediate(next);
      }
      return true;
    },
    get depth() {
      return jobs.length;
    },
    idle() {
      return running ? new Promise<void>((resolve) => waiters.push(resolve)) : Promise.resolve();
    },
    async close() {
      closed = true;
      await this.idle();
      waiters = [];
    },
  };
}
