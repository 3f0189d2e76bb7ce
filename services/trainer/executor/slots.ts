import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { ConfigError } from '../../common/index.js';

/** Where one trial runs: a GPU (by its index as the driver numbers it) or a CPU share. */
export interface Slot {
  id: string;
  device: 'cuda' | 'cpu';
  /** `CUDA_VISIBLE_DEVICES` for the command: the GPU's index, or empty so a CPU trial sees none. */
  visibleDevices: string;
  /** e.g. `NVIDIA H100 80GB HBM3`, or `cpu`. */
  name: string;
}

export interface SlotOptions {
  /** `auto` (nvidia-smi), `none`, or a comma-separated list of GPU indices. */
  gpus: string;
  /** CPU slots used when there is no GPU slot. */
  cpuSlots: number;
  /** Lists GPUs as `index, name` lines; replaceable for tests. @default nvidia-smi */
  listGpus?: () => Promise<string | undefined>;
}

const GPU_LIST = /^\d+(,\d+)*$/;

async function nvidiaSmi(): Promise<string | undefined> {
  try {
    const { stdout } = await promisify(execFile)('nvidia-smi', ['--query-gpu=index,name', '--format=csv,noheader'], { timeout: 10_000 });
    return stdout;
  } catch {
    return undefined;
  }
}

/**
 * The executor's slots: one per GPU (discovered with nvidia-smi, or the
 * configured indices), else `cpuSlots` CPU slots. One trial runs per slot.
 */
export async function discoverSlots(options: SlotOptions): Promise<Slot[]> {
  const { gpus, cpuSlots } = options;
  const cpu = (): Slot[] => Array.from({ length: cpuSlots }, (_, i) => ({ id: `cpu:${i}`, device: 'cpu', visibleDevices: '', name: 'cpu' }));
  if (gpus === 'none') return cpu();
  if (gpus === 'auto') {
    const listed = await (options.listGpus ?? nvidiaSmi)();
    const found = (listed ?? '').split('\n').map((line) => line.trim()).filter(Boolean).map((line): Slot => {
      const [index, ...name] = line.split(',');
      return { id: `gpu:${index!.trim()}`, device: 'cuda', visibleDevices: index!.trim(), name: name.join(',').trim() || 'gpu' };
    });
    return found.length ? found : cpu();
  }
  if (!GPU_LIST.test(gpus)) throw new ConfigError('TRAINER_GPUS', `${JSON.stringify(gpus)} is not allowed (allowed: auto, none, or GPU indices such as 0,1)`);
  return [...new Set(gpus.split(','))].map((index) => ({ id: `gpu:${index}`, device: 'cuda', visibleDevices: index, name: 'gpu' }));
}

/** Hands slots out one trial at a time; waiters are served in arrival order. */
export class SlotPool {
  private readonly free: Slot[];
  private readonly waiting: ((slot: Slot) => void)[] = [];

  constructor(readonly slots: readonly Slot[]) {
    if (slots.length === 0) throw new ConfigError('TRAINER_CPU_SLOTS', 'the executor needs at least one slot');
    this.free = [...slots];
  }

  get size(): number {
    return this.slots.length;
  }

  /** Runs `fn` on a slot, waiting for one to be free. */
  async use<T>(fn: (slot: Slot) => Promise<T>): Promise<T> {
    const slot = this.free.shift() ?? (await new Promise<Slot>((resolve) => this.waiting.push(resolve)));
    try {
      return await fn(slot);
    } finally {
      const next = this.waiting.shift();
      if (next) next(slot);
      else this.free.push(slot);
    }
  }
}
