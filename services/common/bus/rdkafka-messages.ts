import type Kafka from 'node-rdkafka';
import { EMPTY_HEADERS } from './empty-headers.js';
import type { IncomingMessage } from './types.js';


function toHeaders(list: Kafka.MessageHeader[]): Record<string, Buffer> {
  const headers: Record<string, Buffer> = {};
  for (const header of list) {
    for (const name in header) {
      const value = header[name]!;
      headers[name] = typeof value === 'string' ? Buffer.from(value) : value;
    }
  }
  return headers;
}

/**
 * The consumer's hot loop (150k+ messages/s): one plain object per message,
 * no closures or promises, headers converted only when present.
 */
export function toIncomingMessages(raw: Kafka.Message[]): IncomingMessage[] {
  const out: IncomingMessage[] = [];
  for (let i = 0; i < raw.length; i++) {
    const m = raw[i]!;
    out.push({
      topic: m.topic,
      partition: m.partition,
      offset: m.offset,
      // node-rdkafka delivers keys as Buffers; its typings also allow strings.
      key: (m.key as Buffer | null | undefined) ?? null,
      value: m.value,
      headers: m.headers === undefined ? EMPTY_HEADERS : toHeaders(m.headers),
      timestamp: m.timestamp ?? -1,
    });
  }
  return out;
}
