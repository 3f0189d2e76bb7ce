import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { KafkaError } from '../errors.js';

const HOST = fileURLToPath(new URL('./mock-cluster-host.ts', import.meta.url));

export interface EmbeddedKafka {
  readonly brokers: string[];
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts librdkafka's mock cluster in a child process and returns its
 * bootstrap servers. Its own process keeps it off the consumers' CPU thread.
 *
 * The mock keeps about the last 5 MiB (or 100k batches) of each partition and
 * creates topics on first use with 4 partitions: treat it like a broker with
 * short retention.
 */
export async function startEmbeddedKafka(options: { brokers?: number; startTimeoutMs?: number } = {}): Promise<EmbeddedKafka> {
  const { brokers = 3, startTimeoutMs = 15_000 } = options;
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', HOST, String(brokers)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const list = await new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new KafkaError(`embedded Kafka did not start within ${startTimeoutMs} ms`)), startTimeoutMs);
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        resolve((JSON.parse(line) as { brokers: string }).brokers.split(','));
      } catch (err) {
        reject(new KafkaError(`embedded Kafka printed ${JSON.stringify(line)}`, {}, { cause: err }));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new KafkaError(`embedded Kafka exited with ${code} before it started`));
    });
  });
  return {
    brokers: list,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
