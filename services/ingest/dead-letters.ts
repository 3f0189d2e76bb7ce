import type { EventBus, EventCodec, OutgoingMessage } from '../common/index.js';
import type { DeadLetterEntry } from './batch.js';

/**
 * Dead letters keep the original bytes and say where they came from and why,
 * so nothing is lost and a fixed consumer can replay them. The event_id is the
 * origin itself: re-sending after a crash yields the same id, easy to dedupe.
 */
export async function sendDeadLetters(
  entries: readonly DeadLetterEntry[],
  deps: { bus: EventBus; codec: EventCodec; dlqTopic: string; groupId: string; now: number },
): Promise<void> {
  if (entries.length === 0) return;
  const messages: OutgoingMessage[] = [];
  for (const { message, error } of entries) {
    const eventId = `${message.topic}:${message.partition}:${message.offset}`;
    const record = {
      event_id: eventId,
      model: '',
      ts: deps.now,
      source_topic: message.topic,
      source_partition: message.partition,
      source_offset: message.offset,
      consumer_group: deps.groupId,
      error_code: error.code,
      error: error.message,
      key: message.key,
      value: message.value,
      headers: message.headers,
    };
    messages.push({
      key: eventId,
      value: await deps.codec.encode('dlq', record, 'avro'),
      headers: { 'driftloop-error-code': error.code, 'driftloop-source': eventId },
    });
  }
  const producer = await deps.bus.producer();
  await producer.send(deps.dlqTopic, messages);
}
