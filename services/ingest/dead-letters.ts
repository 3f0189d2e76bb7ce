import { DriftloopError, SchemaRegistryError, errorMessage, isRetriable, type EventBus, type EventCodec, type IncomingMessage, type Logger, type OutgoingMessage } from '../common/index.js';
import type { DeadLetterEntry } from './batch.js';

export interface DeadLetterDeps {
  bus: EventBus;
  codec: EventCodec;
  dlqTopic: string;
  groupId: string;
  now: number;
  /** Most bytes of the original key, value and headers one dead letter carries; the rest is cut off. */
  maxBytes: number;
  logger: Logger;
}

/** The longest error text a dead letter keeps (an error can quote its input). */
const MAX_ERROR_CHARS = 2000;

/** The original's key, value and headers cut to `maxBytes` together (key first, then headers, then value). */
export function boundOriginal(message: Pick<IncomingMessage, 'key' | 'value' | 'headers'>, maxBytes: number): Pick<IncomingMessage, 'key' | 'value' | 'headers'> & { truncated: boolean } {
  let left = maxBytes;
  let truncated = false;
  const cut = (b: Buffer | null): Buffer | null => {
    if (b === null) return null;
    const kept = b.length <= left ? b : b.subarray(0, left);
    truncated ||= kept.length < b.length;
    left -= kept.length;
    return kept;
  };
  const key = cut(message.key);
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(message.headers)) {
    const size = Buffer.byteLength(name) + value.length;
    if (size > left) {
      truncated = true;
      continue;
    }
    headers[name] = value;
    left -= size;
  }
  return { key, headers, value: cut(message.value), truncated };
}

/**
 * Dead letters keep the original bytes and say where they came from and why,
 * so nothing is lost and a fixed consumer can replay them. The event_id is the
 * origin itself: re-sending after a crash yields the same id, easy to dedupe.
 *
 * A dead letter is bounded (`maxBytes` of the original, the sizes it had
 * recorded beside), so a huge bad message cannot make one the broker
 * refuses. Should the broker refuse one all the same (a `message.max.bytes`
 * below the bound), each letter is sent alone and a refused one keeps only
 * its coordinates: the original stays in Kafka there. A refusal is never
 * retried; an outage is, by the caller.
 */
export async function sendDeadLetters(entries: readonly DeadLetterEntry[], deps: DeadLetterDeps): Promise<void> {
  if (entries.length === 0) return;
  const encode = async ({ message, error }: DeadLetterEntry, coordinatesOnly: boolean): Promise<OutgoingMessage> => {
    const eventId = `${message.topic}:${message.partition}:${message.offset}`;
    const kept = coordinatesOnly ? { key: null, value: null, headers: {}, truncated: true } : boundOriginal(message, deps.maxBytes);
    const record = {
      event_id: eventId,
      model: '',
      ts: deps.now,
      source_topic: message.topic,
      source_partition: message.partition,
      source_offset: message.offset,
      consumer_group: deps.groupId,
      error_code: error.code,
      error: error.message.length > MAX_ERROR_CHARS ? `${error.message.slice(0, MAX_ERROR_CHARS)}… (${error.message.length} characters)` : error.message,
      key: kept.key,
      value: kept.value,
      headers: kept.headers,
      truncated: kept.truncated,
      key_bytes: message.key?.length ?? 0,
      value_bytes: message.value?.length ?? 0,
    };
    return {
      key: eventId,
      value: await deps.codec.encode('dlq', record, 'avro'),
      headers: { 'driftloop-error-code': error.code, 'driftloop-source': eventId },
    };
  };

  const producer = await deps.bus.producer();
  let messages: OutgoingMessage[];
  try {
    messages = await Promise.all(entries.map((e) => encode(e, false)));
  } catch (err) {
    // The registry that holds the dead letter's schema id is unavailable: an outage to wait out.
    throw err instanceof DriftloopError ? err : new SchemaRegistryError(`cannot encode dead letters: ${errorMessage(err)}`, 50301, 503, { cause: err });
  }
  try {
    await producer.send(deps.dlqTopic, messages);
    return;
  } catch (err) {
    if (isRetriable(err)) throw err;
    deps.logger.warn({ err, deadLetters: entries.length }, 'the broker refused a batch of dead letters; sending them one by one');
  }
  for (const [i, entry] of entries.entries()) {
    try {
      await producer.send(deps.dlqTopic, [messages[i]!]);
    } catch (err) {
      if (isRetriable(err)) throw err;
      const { topic, partition, offset } = entry.message;
      deps.logger.warn({ err, topic, partition, offset }, 'the broker refused a dead letter; sending its coordinates only (the original stays in Kafka there)');
      await producer.send(deps.dlqTopic, [await encode(entry, true)]);
    }
  }
}
