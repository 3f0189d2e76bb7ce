import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { inject } from 'vitest';

/** Bootstrap servers of the run's shared embedded Kafka (see global-setup.ts). */
export function kafkaBrokers(): string[] {
  return inject('kafkaBrokers').split(',');
}

/** A name no other test uses: topics, groups, databases. Identifier-safe. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/** A TCP port free on loopback right now, for a child process's HTTP server. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function tempDir(prefix = 'driftloop-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/**
 * Polls `probe` until it returns a truthy value and returns it; fails with
 * `message` and the last value seen after `timeoutMs`.
 */
export async function waitFor<T>(
  probe: () => Promise<T> | T,
  options: { timeoutMs?: number; intervalMs?: number; message?: string; /** Extra state for the timeout error. */ onTimeout?: () => string } = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 30_000, intervalMs = 50, message = 'condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await probe();
    if (last) return last as NonNullable<T>;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${message}; last value: ${JSON.stringify(last)}${options.onTimeout ? `; ${options.onTimeout()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
