import type kafkajs from 'kafkajs';
import { EMPTY_HEADERS } from './empty-headers.js';
import type { IncomingMessage } from './types.js';

function toHeaders(headers: kafkajs.IHeaders): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const name in headers) {
    let value = headers[name];
    // kafkajs turns a repeated header into an array: the last value wins, as in the rdkafka adapter.
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined) continue;
    out[name] = typeof value === 'string' ? Buffer.from(value) : value;
  }
  return out;
}

/** messages[start, end) of one kafkajs batch (offsets and timestamps arrive as strings). */
export function toIncomingChunk(topic: string, partition: number, messages: kafkajs.KafkaMessage[], start: number, end: number): IncomingMessage[] {
  const out: IncomingMessage[] = [];
  for (let i = start; i < end; i++) {
    const m = messages[i]!;
    out.push({
      topic,
      partition,
      offset: Number(m.offset),
      key: m.key ?? null,
      value: m.value ?? null,
      headers: m.headers === undefined || Object.keys(m.headers).length === 0 ? EMPTY_HEADERS : toHeaders(m.headers),
      timestamp: Number(m.timestamp),
    });
  }
  return out;
}
