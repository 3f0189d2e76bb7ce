import { execFile } from 'node:child_process';
import { cpus, platform, release } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** stdout of a command, trimmed, or undefined when it is missing, fails or takes over `timeoutMs`. */
async function probe(command: string, args: readonly string[], timeoutMs = 5000): Promise<string | undefined> {
  try {
    const { stdout } = await run(command, args, { timeout: timeoutMs });
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The code a run was trained with: `DRIFTLOOP_CODE_VERSION` when set (images
 * built without .git), else the git commit of `cwd`, with `-dirty` when the
 * tracked files differ from it; `unknown` otherwise.
 */
export async function codeVersion(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.DRIFTLOOP_CODE_VERSION) return env.DRIFTLOOP_CODE_VERSION;
  const commit = await probe('git', ['-C', cwd, 'rev-parse', 'HEAD']);
  if (!commit) return 'unknown';
  const dirty = await probe('git', ['-C', cwd, 'status', '--porcelain', '--untracked-files=no']);
  return dirty ? `${commit}-dirty` : commit;
}

/**
 * What a run's numbers depend on besides code and data: Node, OS, CPU, and
 * where present Python, PyTorch, CUDA and the GPU model (nvidia-smi). Probes
 * that fail are left out.
 */
export async function captureEnvironment(python = 'python3'): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    node: process.version,
    os: `${platform()} ${release()}`,
    cpu: `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'unknown'}`,
  };
  const [py, torch, gpu] = await Promise.all([
    probe(python, ['-c', 'import platform; print(platform.python_version())']),
    probe(python, ['-c', 'import torch; print(torch.__version__, torch.version.cuda or "cpu", sep="|")'], 20_000),
    probe('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader']),
  ]);
  if (py) env.python = py;
  if (torch) {
    const [version, cuda] = torch.split('|');
    env.torch = version!;
    env.torch_cuda = cuda ?? 'cpu';
  }
  if (gpu) env.gpu = gpu.split('\n').join('; ');
  return env;
}

/**
 * The Python that runs the reference PyTorch trainer: `configured` unless it
 * is `auto`, else the first of `candidates` that imports torch (Debian's
 * python3-torch lives in /usr/bin/python3, which a pyenv or venv python3
 * earlier on PATH does not see); undefined when none does.
 */
export async function findTorchPython(configured = 'auto', candidates: readonly string[] = ['python3', '/usr/bin/python3']): Promise<string | undefined> {
  if (configured !== 'auto') return configured;
  for (const python of candidates) if ((await probe(python, ['-c', 'import torch; print(1)'], 30_000)) === '1') return python;
  return undefined;
}
