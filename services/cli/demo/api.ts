import { call } from '../commands/api.js';

/** The demo's view of driftloop's HTTP API, served by its own process: what an operator's scripts would call. */
export interface DemoApi {
  readonly url: string;
  get<T>(path: string): Promise<T>;
  /** An admin call (the demo's own token). */
  post<T>(path: string, body: unknown): Promise<T>;
}

export function createDemoApi(url: string, adminToken: string): DemoApi {
  const options = { url, token: adminToken, output: 'json' } as const;
  return {
    url,
    get: (path) => call(options, path),
    post: (path, body) =>
      call(options, path, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` }, body: JSON.stringify(body) }),
  };
}

/** Polls `probe` until it returns something, or fails naming `what` after `timeoutMs`. */
export async function waitUntil<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs: number, intervalMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`demo: timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

interface EvaluationRecord {
  runId: string;
  holdout: string;
  candidateCi: Record<string, { low: number; high: number }>;
  championCi: Record<string, { low: number; high: number }>;
}

/** The holdout and confidence intervals of a run's evaluation, from the evaluator's API (the event carries neither). */
export async function evaluationDetail(api: DemoApi, model: string, runId: string | undefined): Promise<Omit<EvaluationRecord, 'runId'> | null> {
  if (!runId) return null;
  const { evaluations } = await api.get<{ evaluations: EvaluationRecord[] }>(`/evaluator/evaluations?model=${encodeURIComponent(model)}&limit=20`);
  const e = evaluations.find((x) => x.runId === runId);
  return e ? { holdout: e.holdout, candidateCi: e.candidateCi, championCi: e.championCi } : null;
}
