import { retry, type Logger } from '../../common/index.js';
import { runTrainerCommand, type CommandOptions, type CommandResult } from './command.js';
import type { Slot, SlotPool } from './slots.js';

export { runTrainerCommand } from './command.js';
export type { CommandOptions, CommandResult, CollectedArtifact } from './command.js';
export { discoverSlots, SlotPool } from './slots.js';
export type { Slot, SlotOptions } from './slots.js';
export { EXIT_RETRIABLE, PROTOCOL, parseEpochLine, parseResultFile } from './protocol.js';
export type { EpochLine, ResultFile, TrainerCommandSpec } from './protocol.js';

export interface TrialCommandOptions extends Omit<CommandOptions, 'slot' | 'spec'> {
  spec: Omit<CommandOptions['spec'], 'attempt'>;
  /** Attempts after the first, for retriable failures only. */
  retries: number;
  /** First backoff; doubles per attempt. @default 1000 */
  retryDelayMs?: number;
  /** Told when an attempt starts on a slot (to record the device and attempt). */
  onAttempt?: (attempt: number, slot: Slot) => void;
  logger: Logger;
}

/**
 * One trial through the executor: waits for a free slot, runs the command
 * there, and on a retriable failure (exit 75, killed from outside) gives the
 * slot back, waits with backoff and tries again, up to `retries` times.
 * Permanent failures and timeouts throw at once.
 */
export async function runTrialCommand(pool: SlotPool, options: TrialCommandOptions): Promise<CommandResult & { attempt: number; slot: Slot }> {
  const { retries, retryDelayMs = 1000, onAttempt, logger: log, ...command } = options;
  return retry(
    (_bail, attempt) => pool.use(async (slot) => {
      onAttempt?.(attempt, slot);
      const result = await runTrainerCommand({ ...command, slot, spec: { ...command.spec, attempt }, logger: log });
      return { ...result, attempt, slot };
    }),
    {
      retries,
      initialDelayMs: retryDelayMs,
      maxDelayMs: 60_000,
      signal: options.signal,
      onRetry: (err, attempt, delayMs) => log.warn({ trial: command.spec.trial, attempt, delay_ms: delayMs, err: (err as Error).message }, 'trial attempt failed (retriable): retrying'),
    },
  );
}
