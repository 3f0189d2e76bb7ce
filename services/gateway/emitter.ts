import { topicName } from '../../schemas/index.js';
import { errorMessage, retry, type EventBus, type Logger, type OutgoingMessage } from '../common/index.js';
import type { EncodeEvent } from './event-encoder.js';

export type EmittedTopic = 'features' | 'predictions';

export interface EmitterDeps {
  bus: EventBus;
  /** Confluent Avro of the contract's schema (event-encoder.ts); throws for an event the schema refuses. */
  encode: EncodeEvent;
  topicPrefix: string;
  logger: Logger;
  /** Events held at most, reservations included. */
  capacity: number;
  /**
   * What happens when the buffer has no room for a request's events:
   * `reject` refuses the request before any work (admit() answers null, the
   * caller answers 503), so nothing it answered goes unrecorded; `drop` lets
   * it through and drops the events that do not fit, counted. @default 'reject'
   */
  overload?: 'reject' | 'drop';
  /** Longest an event waits before its batch is sent. */
  batchWaitMs: number;
  /** Events per send at most. @default 2000 */
  maxBatch?: number;
  onDropped?(topic: EmittedTopic, count: number, reason: 'buffer_full' | 'invalid' | 'send_failed'): void;
  onSent?(topic: EmittedTopic, count: number): void;
}

/** Room reserved in the buffer for one request's events. */
export interface EmitTicket {
  /** Queues an event in the room reserved (past it, as emit() does). */
  emit(topic: EmittedTopic, key: string, event: object): boolean;
  /** Gives back the room not used (the request failed, or emitted fewer events). Idempotent. */
  release(): void;
}

export interface Emitter {
  /** Queues an event; false when the buffer was full and it was dropped. Never waits. */
  emit(topic: EmittedTopic, key: string, event: object): boolean;
  /**
   * Reserves room for `events` events, or answers null when the buffer cannot
   * hold them and the overload policy is `reject`. Never waits.
   */
  admit(events: number): EmitTicket | null;
  /** Resolves once everything queued before the call was sent (or dropped). */
  flush(): Promise<void>;
  readonly pending: number;
  /** Sends what is held, then stops. */
  close(): Promise<void>;
}

/** Events encoded and produced per turn of the event loop (about 16 x 10 us). */
const SLICE_EVENTS = 16;

interface Pending {
  topic: EmittedTopic;
  key: string;
  event: object;
}

/**
 * Feature and prediction events, produced to Kafka in the background: a
 * bounded buffer filled by requests and drained in batches (Confluent Avro
 * through the event codec), so a slow or absent broker costs dropped events,
 * counted, and never a slower or failed response. Encoding happens here, in
 * the batch, not in the request.
 */
export function createEmitter(deps: EmitterDeps): Emitter {
  const { capacity, batchWaitMs, maxBatch = 2000, overload = 'reject' } = deps;
  /** Room promised to admitted requests that have not emitted yet. */
  let reserved = 0;
  const log = deps.logger.child({ component: 'emitter' });
  let buffer: Pending[] = [];
  let timer: NodeJS.Timeout | null = null;
  let draining: Promise<void> | null = null;
  let lastError = '';

  async function produce(topic: EmittedTopic, messages: OutgoingMessage[]): Promise<void> {
    try {
      const producer = await deps.bus.producer();
      await retry(() => producer.send(topicName(deps.topicPrefix, topic), messages), { retries: 3, initialDelayMs: 100, maxDelayMs: 1000 });
      deps.onSent?.(topic, messages.length);
    } catch (err) {
      log.warn({ topic, events: messages.length, err: errorMessage(err) }, 'events could not be produced: dropped');
      deps.onDropped?.(topic, messages.length, 'send_failed');
    }
  }

  /**
   * Encodes and hands over `events` a slice at a time, yielding to the event
   * loop between slices, so a batch never holds requests up for longer than one
   * slice takes; deliveries are awaited together at the end.
   */
  async function send(topic: EmittedTopic, events: Pending[]): Promise<void> {
    const deliveries: Promise<void>[] = [];
    for (let start = 0; start < events.length; start += SLICE_EVENTS) {
      if (start > 0) await new Promise((resolve) => setImmediate(resolve));
      const messages: OutgoingMessage[] = [];
      for (const e of events.slice(start, start + SLICE_EVENTS)) {
        try {
          messages.push({ key: e.key, value: deps.encode(topic, e.event) });
        } catch (err) {
          if (errorMessage(err) !== lastError) log.warn({ topic, err: (lastError = errorMessage(err)) }, 'event could not be encoded: dropped');
          deps.onDropped?.(topic, 1, 'invalid');
        }
      }
      if (messages.length > 0) deliveries.push(produce(topic, messages));
    }
    await Promise.all(deliveries);
  }

  async function drain(): Promise<void> {
    while (buffer.length > 0) {
      const batch = buffer.length <= maxBatch ? buffer : buffer.slice(0, maxBatch);
      buffer = batch === buffer ? [] : buffer.slice(maxBatch);
      const byTopic = new Map<EmittedTopic, Pending[]>();
      for (const p of batch) {
        let list = byTopic.get(p.topic);
        if (!list) byTopic.set(p.topic, (list = []));
        list.push(p);
      }
      await Promise.all([...byTopic].map(([topic, events]) => send(topic, events)));
    }
  }

  function kick(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    draining ??= drain().finally(() => {
      draining = null;
      if (buffer.length > 0) schedule();
    });
    return draining;
  }

  function schedule(): void {
    if (timer || draining) return;
    timer = setTimeout(() => void kick(), batchWaitMs);
  }

  function enqueue(topic: EmittedTopic, key: string, event: object, room: number): boolean {
    if (buffer.length >= room) {
      deps.onDropped?.(topic, 1, 'buffer_full');
      return false;
    }
    buffer.push({ topic, key, event });
    if (buffer.length >= maxBatch && !draining) void kick();
    else schedule();
    return true;
  }

  return {
    // Unreserved events may use only what no admitted request was promised.
    emit: (topic, key, event) => enqueue(topic, key, event, capacity - reserved),
    admit(events) {
      if (overload === 'drop') return { emit: (topic, key, event) => enqueue(topic, key, event, capacity - reserved), release: () => undefined };
      if (buffer.length + reserved + events > capacity) return null;
      let left = events;
      reserved += left;
      const release = (): void => {
        reserved -= left;
        left = 0;
      };
      return {
        emit(topic, key, event) {
          if (left === 0) return enqueue(topic, key, event, capacity - reserved);
          left--;
          reserved--;
          // Its own room: the buffer may pass capacity only by what was promised.
          return enqueue(topic, key, event, Number.POSITIVE_INFINITY);
        },
        release,
      };
    },
    async flush() {
      while (buffer.length > 0 || draining) await (draining ?? kick());
    },
    get pending() {
      return buffer.length;
    },
    async close() {
      await this.flush();
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
