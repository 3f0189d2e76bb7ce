import type { EventBus } from './bus/index.js';
import type { ClickHouse } from './clickhouse/index.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';
import type { Registry } from './metrics.js';
import type { EventCodec } from './serde/index.js';

/**
 * What a service's factory takes: the process's engines and serde, a logger
 * and metrics registry, a clock (tests fake it; the system clock otherwise)
 * and its own settings. A service that needs more extends it.
 */
export interface ServiceDeps<Settings> {
  bus: EventBus;
  clickhouse: ClickHouse;
  codec: EventCodec;
  logger: Logger;
  metrics: Registry;
  clock?: Clock;
  settings: Settings;
}
