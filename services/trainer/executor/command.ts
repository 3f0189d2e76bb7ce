import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { TrainerCommandError, errorMessage, type Logger } from '../../common/index.js';
import { PROTOCOL, isRetriableExit, parseEpochLine, parseResultFile, type EpochLine, type ResultFile, type TrainerCommandSpec } from './protocol.js';
import type { Slot } from './slots.js';

export interface CommandOptions {
  /** The command and its arguments; the spec path is appended. */
  argv: readonly string[];
  /** The spec less what the executor fills in (protocol, device, output_dir). */
  spec: Omit<TrainerCommandSpec, 'protocol' | 'device' | 'output_dir'>;
  /** Emptied, then holds spec.json, what the command writes and metrics.json. */
  outputDir: string;
  slot: Slot;
  /** Killed (SIGTERM, then SIGKILL) past this; a timeout is a permanent failure. */
  timeoutMs: number;
  /** Between SIGTERM and SIGKILL. @default 5000 */
  killGraceMs?: number;
  /** Aborting it cancels the command (SIGTERM, then SIGKILL). */
  signal?: AbortSignal;
  /** Called per epoch line; `stop` ends the command early (pruning). */
  onEpoch?: (line: EpochLine) => 'continue' | 'stop';
  /** Extra environment for the command (the parent's is not passed on, beyond PASSED_ENV). */
  env?: Record<string, string>;
  logger: Logger;
}

export interface CollectedArtifact {
  name: string;
  path: string;
  bytes: number;
  sha256: string;
}

export type CommandResult =
  | { status: 'success'; epochs: EpochLine[]; result: ResultFile; artifacts: CollectedArtifact[]; durationMs: number }
  /** Ended by `onEpoch` returning stop, or by `signal`. */
  | { status: 'stopped' | 'cancelled'; epochs: EpochLine[]; durationMs: number };

/**
 * What of driftloop's own environment a trainer command sees: enough to find
 * its interpreter, libraries and GPU, none of driftloop's secrets.
 */
const PASSED_ENV = /^(PATH|HOME|USER|LANG|LC_[A-Z]+|TZ|TMPDIR|PYTHONPATH|PYTHONHOME|VIRTUAL_ENV|LD_LIBRARY_PATH|OMP_NUM_THREADS|MKL_NUM_THREADS|NVIDIA_[A-Z_]+|CUDA_[A-Z_]+)$/;

const STDERR_TAIL = 4000;

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Runs one external trainer command on a slot under the command protocol
 * (protocol.ts): returns its epoch lines, final metrics and hashed artifacts,
 * or how it was stopped; throws TrainerCommandError when it fails, times out
 * or cannot start, saying whether a retry may help.
 */
export async function runTrainerCommand(options: CommandOptions): Promise<CommandResult> {
  const { argv, slot, logger: log, timeoutMs, killGraceMs = 5000, signal } = options;
  const outputDir = resolve(options.outputDir);
  await rm(outputDir, { recursive: true, force: true });
  await mkdir(outputDir, { recursive: true });
  const spec: TrainerCommandSpec = { protocol: PROTOCOL, ...options.spec, device: slot.device, output_dir: outputDir };
  const specPath = join(outputDir, 'spec.json');
  await writeFile(specPath, `${JSON.stringify(spec, null, 2)}\n`);
  if (signal?.aborted) return { status: 'cancelled', epochs: [], durationMs: 0 };

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && PASSED_ENV.test(key)) env[key] = value;
  Object.assign(env, options.env, { DRIFTLOOP_SPEC: specPath, CUDA_VISIBLE_DEVICES: slot.visibleDevices });

  const started = Date.now();
  const epochs: EpochLine[] = [];
  let stderrTail = '';
  let killedFor: 'stop' | 'cancel' | 'timeout' | null = null;
  let killTimer: NodeJS.Timeout | undefined;
  // Its own process group, so a kill reaches whatever the command started (data loader workers).
  const child = spawn(argv[0]!, [...argv.slice(1), specPath], { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const signalGroup = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // Already gone.
    }
  };
  const kill = (why: 'stop' | 'cancel' | 'timeout'): void => {
    if (killedFor || child.pid === undefined) return;
    killedFor = why;
    signalGroup('SIGTERM');
    killTimer = setTimeout(() => signalGroup('SIGKILL'), killGraceMs);
  };
  const timeout = setTimeout(() => kill('timeout'), timeoutMs);
  const onAbort = (): void => kill('cancel');
  signal?.addEventListener('abort', onAbort, { once: true });

  createInterface({ input: child.stdout }).on('line', (line) => {
    const epoch = parseEpochLine(line);
    if (!epoch) {
      if (line.trim()) log.debug({ line: line.slice(0, 500) }, 'trainer stdout');
      return;
    }
    epochs.push(epoch);
    if (!killedFor && options.onEpoch?.(epoch) === 'stop') kill('stop');
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-STDERR_TAIL);
  });

  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((done) => {
    child.once('error', (error) => done({ code: null, signal: null, error }));
    // 'close': the process exited and its stdout is drained, so every epoch line has been seen.
    child.once('close', (code, sig) => done({ code, signal: sig }));
  });
  clearTimeout(timeout);
  clearTimeout(killTimer);
  signal?.removeEventListener('abort', onAbort);
  // Whatever the command left behind in its group goes with it.
  if (exit.code !== 0) signalGroup('SIGKILL');
  const durationMs = Date.now() - started;
  const context = { exitCode: exit.code, signal: exit.signal, stderrTail: stderrTail.trim() };
  const lastLine = stderrTail.trim().split('\n').pop()?.slice(0, 500) ?? '';

  if (exit.error) throw new TrainerCommandError(`cannot start ${argv[0]}: ${exit.error.message}`, 'failed', false, context);
  if (killedFor === 'timeout') throw new TrainerCommandError(`timed out after ${timeoutMs / 1000} s (killed)`, 'timeout', false, context);
  if (killedFor === 'cancel') return { status: 'cancelled', epochs, durationMs };
  if (killedFor === 'stop') return { status: 'stopped', epochs, durationMs };
  if (exit.code !== 0) {
    const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
    throw new TrainerCommandError(`${how}${lastLine ? `: ${lastLine}` : ''}`, 'failed', isRetriableExit(exit.code, exit.signal), context);
  }

  const metricsPath = join(outputDir, 'metrics.json');
  let result: ResultFile;
  try {
    result = parseResultFile(await readFile(metricsPath, 'utf8'), 'metrics.json');
  } catch (err) {
    throw new TrainerCommandError(`exited 0 without a readable metrics.json: ${errorMessage(err)}`, 'failed', false, context);
  }
  const artifacts: CollectedArtifact[] = [];
  for (const a of result.artifacts) {
    const path = join(outputDir, a.path);
    try {
      artifacts.push({ name: a.name, path, bytes: (await stat(path)).size, sha256: await sha256File(path) });
    } catch (err) {
      throw new TrainerCommandError(`artifact ${a.name} (${a.path}) listed in metrics.json is not readable: ${errorMessage(err)}`, 'failed', false, context);
    }
  }
  return { status: 'success', epochs, result, artifacts, durationMs };
}
