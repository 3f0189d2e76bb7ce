import { topicName } from '../../../schemas/index.js';
import { confluentFrame, type OutgoingMessage } from '../../common/index.js';
import type { Runtime } from '../runtime.js';

/** A dead letter as an operator reads it back: where the message came from and why it was refused. */
export interface DeadLetter {
  origin: string;
  code: string;
  error: string;
  bytes: number;
}

/** Messages a buggy producer might send: each must end up in the dead-letter topic, saying why. */
export async function produceBadMessages(runtime: Pick<Runtime, 'bus' | 'config'>): Promise<number> {
  const producer = await runtime.bus.producer();
  const bad: OutgoingMessage[] = [
    { key: 'bad-1', value: Buffer.from('not json at all') },
    { key: 'bad-2', value: Buffer.from(JSON.stringify({ event_id: 'bad-2', ts: 0, numeric: {} })) },
    { key: 'bad-3', value: Buffer.from(JSON.stringify({ event_id: 'bad-3', model: 'has spaces', ts: 0 })) },
    { key: 'bad-4', value: confluentFrame(999_999, Buffer.from([2, 0])) },
  ];
  await producer.send(topicName(runtime.config.topicPrefix, 'features'), bad);
  return bad.length;
}

/** Reads the dead-letter topic back with a group of its own, as an operator would. */
export async function readDeadLetters(runtime: Pick<Runtime, 'bus' | 'codec' | 'config'>, count: number, timeoutMs = 20_000): Promise<DeadLetter[]> {
  const letters: DeadLetter[] = [];
  const consumer = await runtime.bus.consumer({
    groupId: `driftloop-demo-dlq-${process.pid}-${Date.now()}`,
    topics: [topicName(runtime.config.topicPrefix, 'dlq')],
    sessionTimeoutMs: 6_000,
    onBatch: async (messages) => {
      for (const m of messages) {
        if (!m.value) continue;
        const l = await runtime.codec.decode('dlq', m.value);
        letters.push({
          origin: `${String(l.source_topic)}[${String(l.source_partition)}]@${String(l.source_offset)}`,
          code: String(l.error_code),
          error: String(l.error),
          bytes: (l.value as Buffer | null)?.length ?? 0,
        });
      }
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (letters.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await consumer.close();
  return letters;
}
