import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, TrainerCommandError, silentLogger } from '../../../services/common/index.js';
import { SlotPool, discoverSlots, parseEpochLine, parseResultFile, runTrainerCommand, runTrialCommand, type CommandOptions, type Slot } from '../../../services/trainer/executor/index.js';
import { tempDir } from '../../support/index.js';

const SCRIPT = join(import.meta.dirname, '../../fixtures/trainers/scripted-trainer.mjs');
const CPU: Slot = { id: 'cpu:0', device: 'cpu', visibleDevices: '', name: 'cpu' };

let dir: string;
let n = 0;
beforeAll(async () => {
  dir = await tempDir('driftloop-executor-');
  // A secret in driftloop's environment must not reach trainer commands.
  process.env.DRIFT_HOOK_SECRET = 'do-not-pass';
});
afterAll(() => {
  delete process.env.DRIFT_HOOK_SECRET;
});

function options(params: Record<string, unknown>, extra: Partial<CommandOptions> = {}): CommandOptions {
  return {
    argv: [process.execPath, SCRIPT],
    spec: { run_id: 'r1', trial: 0, attempt: 1, model: 'm', data: { format: 'csv', train: '/t', validation: '/v', test: '/x' }, params, seed: 7, metric: 'val_loss' },
    outputDir: join(dir, `t${n++}`),
    slot: CPU,
    timeoutMs: 20_000,
    logger: silentLogger(),
    ...extra,
  };
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('trainer command protocol', () => {
  it('runs a command: spec in, one line per epoch, metrics and hashed artifacts out, no secrets passed', async () => {
    const seen: number[] = [];
    const opts = options({ epochs: 4, loss0: 2 }, { onEpoch: (e) => (seen.push(e.epoch), 'continue') });
    const result = await runTrainerCommand(opts);
    expect(result.status).toBe('success');
    if (result.status !== 'success') return;
    expect(seen).toEqual([1, 2, 3, 4]);
    expect(result.epochs.map((e) => e.metrics.val_loss)).toEqual([2, 1, 2 / 3, 0.5]);
    expect(result.result.metrics).toMatchObject({ val_loss: 0.5, test_accuracy: 0.75, secret_seen: 0 });
    const [artifact] = result.artifacts;
    const body = await readFile(artifact!.path);
    expect(artifact).toMatchObject({ name: 'model', bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    const spec = JSON.parse(await readFile(join(opts.outputDir, 'spec.json'), 'utf8')) as Record<string, unknown>;
    expect(spec).toMatchObject({ protocol: 'driftloop.trainer/1', device: 'cpu', seed: 7, output_dir: opts.outputDir });
  });

  it('stops a command when an epoch line says so (pruning)', async () => {
    const result = await runTrainerCommand(options({ epochs: 50, epoch_ms: 20 }, { onEpoch: (e) => (e.epoch >= 2 ? 'stop' : 'continue') }));
    expect(result.status).toBe('stopped');
    expect(result.epochs.length).toBeGreaterThanOrEqual(2);
    expect(result.epochs.length).toBeLessThan(10);
  });

  it('kills a command that hangs at its timeout, SIGKILL when it ignores SIGTERM', async () => {
    const started = Date.now();
    let pid = 0;
    const error = await runTrainerCommand(options({ behavior: 'hang' }, { timeoutMs: 600, killGraceMs: 300, onEpoch: (e) => ((pid = e.metrics.pid!), 'continue') })).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TrainerCommandError);
    expect((error as TrainerCommandError).outcome).toBe('timeout');
    expect((error as TrainerCommandError).retriable).toBe(false);
    expect((error as TrainerCommandError).context.signal).toBe('SIGKILL');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });

  it('cancels a command when the signal aborts', async () => {
    const abort = new AbortController();
    const result = await runTrainerCommand(options({ epochs: 100, epoch_ms: 20 }, { signal: abort.signal, onEpoch: () => (abort.abort(), 'continue') }));
    expect(result.status).toBe('cancelled');
  });

  it('maps exits: 75 and outside kills are retriable, other codes, missing metrics and missing commands are not', async () => {
    const fail = async (opts: CommandOptions): Promise<TrainerCommandError> => (await runTrainerCommand(opts).catch((err: unknown) => err)) as TrainerCommandError;
    const crash = await fail(options({ behavior: 'crash', code: 3 }));
    expect(crash).toMatchObject({ retriable: false, outcome: 'failed', message: 'exited with code 3: something broke: bad input' });
    expect((await fail(options({ behavior: 'flaky', succeed_on: 2 }))).retriable).toBe(true);
    const oom = await fail(options({ behavior: 'oom' }));
    expect(oom.retriable).toBe(true);
    expect(oom.message).toMatch(/killed by SIGKILL/);
    expect((await fail(options({ behavior: 'no-metrics' }))).message).toMatch(/without a readable metrics.json/);
    const missing = await fail(options({}, { argv: ['/no/such/trainer'] }));
    expect(missing).toMatchObject({ retriable: false, message: expect.stringMatching(/^cannot start \/no\/such\/trainer/) });
  });
});

describe('executor', () => {
  const pool = new SlotPool([CPU]);
  const trial = (params: Record<string, unknown>, retries: number, attempts: number[]): ReturnType<typeof runTrialCommand> => {
    const { slot: _slot, ...rest } = options(params);
    return runTrialCommand(pool, { ...rest, retries, retryDelayMs: 10, onAttempt: (attempt) => attempts.push(attempt) });
  };

  it('retries retriable failures with backoff until one succeeds', async () => {
    const attempts: number[] = [];
    const result = await trial({ behavior: 'flaky', succeed_on: 3 }, 2, attempts);
    expect(result).toMatchObject({ status: 'success', attempt: 3 });
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('gives up after its retries, and never retries a permanent failure', async () => {
    const flaky: number[] = [];
    await expect(trial({ behavior: 'flaky', succeed_on: 5 }, 1, flaky)).rejects.toMatchObject({ retriable: true });
    expect(flaky).toEqual([1, 2]);
    const crash: number[] = [];
    await expect(trial({ behavior: 'crash' }, 3, crash)).rejects.toMatchObject({ retriable: false });
    expect(crash).toEqual([1]);
  });

  it('runs one trial per slot, each with its GPU in CUDA_VISIBLE_DEVICES', async () => {
    const gpus = await discoverSlots({ gpus: 'auto', cpuSlots: 1, listGpus: async () => '0, NVIDIA H100 80GB HBM3\n1, NVIDIA H100 80GB HBM3\n' });
    const twoGpus = new SlotPool(gpus);
    let running = 0;
    let peak = 0;
    const devices: string[] = [];
    await Promise.all(Array.from({ length: 5 }, async (_, i) => {
      const { slot: _slot, ...rest } = options({ epochs: 3, epoch_ms: 30 });
      await runTrialCommand(twoGpus, {
        ...rest, spec: { ...rest.spec, trial: i }, retries: 0,
        onAttempt: (_a, slot) => {
          running++;
          peak = Math.max(peak, running);
          devices.push(slot.visibleDevices);
        },
        onEpoch: (e) => {
          if (e.epoch === 3) running--;
          return 'continue';
        },
      });
    }));
    expect(peak).toBe(2);
    expect(new Set(devices)).toEqual(new Set(['0', '1']));
  });
});

describe('slots', () => {
  it('finds GPUs with nvidia-smi, takes configured indices, falls back to CPU slots', async () => {
    expect(await discoverSlots({ gpus: 'auto', cpuSlots: 1, listGpus: async () => '0, NVIDIA A100-SXM4-40GB\n' })).toEqual([{ id: 'gpu:0', device: 'cuda', visibleDevices: '0', name: 'NVIDIA A100-SXM4-40GB' }]);
    expect(await discoverSlots({ gpus: 'auto', cpuSlots: 2, listGpus: async () => undefined })).toHaveLength(2);
    expect((await discoverSlots({ gpus: '2,3', cpuSlots: 1 })).map((s) => s.visibleDevices)).toEqual(['2', '3']);
    expect(await discoverSlots({ gpus: 'none', cpuSlots: 1, listGpus: async () => '0, gpu' })).toEqual([CPU]);
    await expect(discoverSlots({ gpus: 'all', cpuSlots: 1 })).rejects.toThrow(ConfigError);
    await expect(discoverSlots({ gpus: 'all', cpuSlots: 1 })).rejects.toThrow(/TRAINER_GPUS: "all" is not allowed \(allowed: auto, none/);
  });

  it('parses epoch lines and result files defensively', () => {
    expect(parseEpochLine('{"epoch":2,"metrics":{"val_loss":0.5,"x":"y","z":null}}')).toEqual({ epoch: 2, metrics: { val_loss: 0.5 } });
    expect(parseEpochLine('loading data...')).toBeUndefined();
    expect(parseEpochLine('{"epoch":0,"metrics":{}}')).toBeUndefined();
    expect(parseEpochLine('{"epoch":1}')).toBeUndefined();
    expect(() => parseResultFile('{"metrics":{},"artifacts":[{"name":"m","path":"../../etc/passwd"}]}', 'metrics.json')).toThrow(/without \.\./);
    expect(() => parseResultFile('{"metrics":{},"artifacts":[{"name":"m","path":"/etc/passwd"}]}', 'metrics.json')).toThrow(/relative to output_dir/);
    expect(() => parseResultFile('nope', 'metrics.json')).toThrow(/metrics.json: is not JSON/);
  });
});
