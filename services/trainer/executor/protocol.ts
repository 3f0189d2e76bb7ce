/**
 * The external trainer command protocol, `driftloop.trainer/1` (README
 * "External trainers"):
 *
 * - driftloop writes a JSON spec (TrainerCommandSpec) to `<output_dir>/spec.json`
 *   and starts the command with that path as its last argument (and in
 *   `DRIFTLOOP_SPEC`), `CUDA_VISIBLE_DEVICES` set to its slot.
 * - The command prints one JSON line per epoch on stdout (EpochLine); other
 *   stdout lines are logged, not parsed. Pruning and cancellation send SIGTERM
 *   (then SIGKILL after a grace period).
 * - On success it exits 0 having written `<output_dir>/metrics.json`
 *   (ResultFile). Exit 75 (EX_TEMPFAIL) is a retriable failure; any other code
 *   is permanent; death by a signal driftloop did not send (the OOM killer) is
 *   retriable.
 */
import { ValidationError } from '../../common/index.js';

export const PROTOCOL = 'driftloop.trainer/1';

/** Exit code of a failure another attempt may fix (sysexits EX_TEMPFAIL). */
export const EXIT_RETRIABLE = 75;

export interface TrainerCommandSpec {
  protocol: typeof PROTOCOL;
  run_id: string;
  trial: number;
  attempt: number;
  model: string;
  /** Snapshot files, absolute paths (README "Snapshots" gives the CSV layout). */
  data: { format: 'csv'; train: string; validation: string; test: string };
  params: Record<string, unknown>;
  seed: number;
  /** The metric the search minimizes, as the epoch lines name it. */
  metric: string;
  device: 'cuda' | 'cpu';
  output_dir: string;
}

export interface EpochLine {
  /** 1-based. */
  epoch: number;
  metrics: Record<string, number>;
  elapsed_s?: number;
}

export interface ResultFile {
  metrics: Record<string, number>;
  /** Paths relative to output_dir. */
  artifacts: { name: string; path: string }[];
  /** The device the command actually used, e.g. `cuda:0 (NVIDIA H100)`. */
  device?: string;
}

/**
 * An epoch line, or undefined for a line that is not one (a log line the
 * command printed): JSON objects with an integer `epoch` >= 1 and a `metrics`
 * object. Non-finite and non-numeric metric values are dropped.
 */
export function parseEpochLine(line: string): EpochLine | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const o = json as Record<string, unknown>;
  if (!Number.isInteger(o.epoch) || (o.epoch as number) < 1 || o.metrics === null || typeof o.metrics !== 'object' || Array.isArray(o.metrics)) return undefined;
  const metrics: Record<string, number> = {};
  for (const [name, value] of Object.entries(o.metrics as Record<string, unknown>)) if (typeof value === 'number' && Number.isFinite(value)) metrics[name] = value;
  return { epoch: o.epoch as number, metrics, ...(typeof o.elapsed_s === 'number' ? { elapsed_s: o.elapsed_s } : {}) };
}

/** Reads metrics.json as a command wrote it; a malformed one is a permanent failure of the command. */
export function parseResultFile(text: string, file: string): ResultFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ValidationError(file, `is not JSON (${(err as Error).message})`);
  }
  const o = json as Record<string, unknown>;
  if (o === null || typeof o !== 'object' || o.metrics === null || typeof o.metrics !== 'object' || Array.isArray(o.metrics)) throw new ValidationError(`${file}/metrics`, 'must be an object of numbers');
  const metrics: Record<string, number> = {};
  for (const [name, value] of Object.entries(o.metrics as Record<string, unknown>)) if (typeof value === 'number' && Number.isFinite(value)) metrics[name] = value;
  const artifacts = o.artifacts ?? [];
  if (!Array.isArray(artifacts)) throw new ValidationError(`${file}/artifacts`, 'must be an array of {name, path}');
  const list = artifacts.map((a: unknown, i) => {
    const entry = a as Record<string, unknown>;
    if (entry === null || typeof entry.name !== 'string' || typeof entry.path !== 'string') throw new ValidationError(`${file}/artifacts/${i}`, 'must be {name, path} strings');
    // Artifacts live in the output directory: no absolute paths, no way out of it.
    if (entry.path.startsWith('/') || entry.path.split(/[\\/]/).includes('..')) throw new ValidationError(`${file}/artifacts/${i}/path`, 'must be relative to output_dir, without ..');
    return { name: entry.name, path: entry.path };
  });
  return { metrics, artifacts: list, ...(typeof o.device === 'string' ? { device: o.device } : {}) };
}

/**
 * Whether a failed command may be retried: exit 75, or death by a signal
 * (one driftloop did not send: its own kills are pruning, cancellation and
 * timeouts, decided before this), e.g. the OOM killer's.
 */
export function isRetriableExit(exitCode: number | null, signal: NodeJS.Signals | null): boolean {
  return exitCode === EXIT_RETRIABLE || signal !== null;
}
