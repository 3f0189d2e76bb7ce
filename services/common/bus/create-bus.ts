import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { createKafkajsBus } from './kafkajs-bus.js';
import { createRdkafkaBus } from './rdkafka-bus.js';
import type { EventBus, EventBusOptions } from './types.js';

export interface CreateEventBusOptions extends EventBusOptions {
  /** Which driver: node-rdkafka (librdkafka, the fast path) or kafkajs (pure JS). */
  client: 'rdkafka' | 'kafkajs';
  logger: Logger;
}

/** Builds the event bus for `client`; nothing connects until a producer or consumer is asked for. */
export function createEventBus(options: CreateEventBusOptions): EventBus {
  const { client, logger, ...busOptions } = options;
  if (!Array.isArray(busOptions.brokers) || busOptions.brokers.length === 0 || busOptions.brokers.some((b) => typeof b !== 'string' || !b.includes(':'))) {
    throw new ConfigError('brokers', 'must be a non-empty list of host:port');
  }
  const child = logger.child({ component: 'bus', client });
  if (client === 'rdkafka') return createRdkafkaBus(busOptions, child);
  if (client === 'kafkajs') return createKafkajsBus(busOptions, child);
  throw new ConfigError('client', `must be rdkafka or kafkajs; got ${String(client)}`);
}
