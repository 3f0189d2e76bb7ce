import { isUtf8 } from 'node:buffer';
import { KafkaError } from '../errors.js';
import type { OutgoingMessage } from './types.js';

/**
 * Header values must be UTF-8 text without NUL, in both adapters: node-rdkafka
 * passes header values to librdkafka as C strings, so other bytes would arrive
 * truncated or mangled. Checking in both keeps a service that works on one
 * adapter working on the other.
 */
export function checkHeaderValues(topic: string, messages: readonly OutgoingMessage[]): void {
  for (const m of messages) {
    const headers = m.headers;
    if (!headers) continue;
    for (const name in headers) {
      const value = headers[name]!;
      const ok = typeof value === 'string' ? !value.includes('\u0000') : isUtf8(value) && !value.includes(0);
      if (!ok) {
        throw new KafkaError(`header ${JSON.stringify(name)} must be UTF-8 text without NUL bytes`, { topic, partition: m.partition }, { retriable: false });
      }
    }
  }
}
