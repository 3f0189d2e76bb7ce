import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort, kafkaBrokers, tempDir, uniqueName, waitFor } from './index.js';

/** The CLI's entry, run as `driftloop` runs it in a container (node --import tsx). */
export const CLI_MAIN = fileURLToPath(new URL('../../services/cli/main.ts', import.meta.url));

/**
 * Runs the CLI command `driftloop <args> --url <url>` to its end: its exit
 * code and its stdout and stderr together. No admin token unless `env` gives one.
 */
export function runCli(url: string, args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args, '--url', url], { env: { ...process.env, DRIFTLOOP_ADMIN_TOKEN: '', ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr });
    });
  });
}

/** What a `driftloop` child process of a test runs on, and where it answers. */
export interface ProcessSetup {
  env: NodeJS.ProcessEnv;
  url: string;
  topicPrefix: string;
}

/**
 * The environment of a `driftloop` child process: the run's embedded Kafka, a
 * fresh chDB directory (which the process alone may open), a free port and
 * topics of its own; `env` on top.
 */
export async function processSetup(prefix: string, env: Record<string, string>): Promise<ProcessSetup> {
  const port = await freePort();
  const topicPrefix = `${uniqueName(prefix)}.`;
  return {
    url: `http://127.0.0.1:${port}`,
    topicPrefix,
    env: { ...process.env, KAFKA_BROKERS: kafkaBrokers().join(','), CLICKHOUSE_URL: `chdb:${await tempDir()}`, HTTP_PORT: String(port), TOPIC_PREFIX: topicPrefix, ...env },
  };
}

/**
 * Starts `driftloop <args>` (stderr shown, stdout to `stdout`) and waits until
 * it answers /readyz; the child goes into `children` at once, so a test's
 * cleanup kills it even when it never got ready.
 */
export async function startDriftloop(
  setup: ProcessSetup, args: readonly string[], children: ChildProcess[], options: { stdout?: 'ignore' | number; timeoutMs?: number } = {},
): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_MAIN, ...args], { env: setup.env, stdio: ['ignore', options.stdout ?? 'ignore', 'inherit'] });
  children.push(child);
  await waitFor(async () => {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`driftloop ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    return (await fetch(`${setup.url}/readyz`).catch(() => undefined))?.ok;
  }, { message: `driftloop ${args.join(' ')} ready`, timeoutMs: options.timeoutMs ?? 90_000 });
  return child;
}
