import { hostname } from 'node:os';
import { topicName } from '../../schemas/index.js';
import { errorMessage, type Consumer, type EventBus, type EventCodec, type IncomingMessage, type Logger } from '../common/index.js';

export type RefreshTrigger = 'start' | 'event' | 'poll';

export interface PlanWatcherDeps {
  bus: EventBus;
  codec: EventCodec;
  topicPrefix: string;
  /** Prefix of this process's consumer group. */
  groupId: string;
  pollIntervalMs: number;
  logger: Logger;
  /** Re-reads the plan of `models` (all when empty). */
  refresh(models: readonly string[], trigger: RefreshTrigger): Promise<void>;
}

export interface PlanWatcher {
  start(): Promise<void>;
  stop(): Promise<void>;
}

const CONTROL_TOPICS = ['registry-events', 'rollout-events'] as const;
const CONSUMER_SESSION_TIMEOUT_MS = 6000;

/**
 * Tells the gateway when to re-read its plan: on every registry-events and
 * rollout-events message (they only say "model X changed"; ClickHouse holds
 * the truth) and on a slow poll, the safety net for a missed event. Each
 * process has a group of its own, because every replica must hear every event.
 */
export function createPlanWatcher(deps: PlanWatcherDeps): PlanWatcher {
  const log = deps.logger.child({ component: 'plan-watcher' });
  let consumer: Consumer | null = null;
  let timer: NodeJS.Timeout | null = null;
  const topics = new Map<string, (typeof CONTROL_TOPICS)[number]>(CONTROL_TOPICS.map((t) => [topicName(deps.topicPrefix, t), t]));

  async function modelOf(m: IncomingMessage): Promise<string | null> {
    try {
      const event = await deps.codec.decode(topics.get(m.topic)!, m.value!);
      if (typeof event.model === 'string') return event.model;
    } catch (err) {
      log.warn({ topic: m.topic, partition: m.partition, offset: m.offset, err: errorMessage(err) }, 'unreadable control event: re-reading every model');
    }
    // Control topics are keyed by model; without one, everything is re-read.
    return m.key && m.key.length > 0 ? m.key.toString() : null;
  }

  async function onBatch(messages: IncomingMessage[]): Promise<void> {
    const models = new Set<string>();
    let all = false;
    for (const m of messages) {
      if (!m.value) continue;
      const model = await modelOf(m);
      if (model === null) all = true;
      else models.add(model);
    }
    if (!all && models.size === 0) return;
    // Never rejects: a failed re-read is retried by the poll, not by re-reading the topic.
    await deps.refresh(all ? [] : [...models], 'event').catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'plan refresh after an event failed; the poll retries'));
  }

  return {
    async start() {
      consumer = await deps.bus.consumer({
        groupId: `${deps.groupId}.${hostname()}.${process.pid}`,
        topics: [...topics.keys()],
        fromBeginning: true,
        // Nothing is committed and each process has its own group: a short session only makes rebalances (a control topic appearing) quick.
        sessionTimeoutMs: CONSUMER_SESSION_TIMEOUT_MS,
        onBatch,
        onError: (err) => log.warn({ err: errorMessage(err) }, 'control events consumer error'),
      });
      const poll = (): void => {
        timer = setTimeout(() => {
          deps.refresh([], 'poll').catch((err: unknown) => log.warn({ err: errorMessage(err) }, 'plan poll failed')).finally(() => timer && poll());
        }, deps.pollIntervalMs);
        timer.unref();
      };
      poll();
    },
    async stop() {
      if (timer) clearTimeout(timer);
      timer = null;
      await consumer?.close();
      consumer = null;
    },
  };
}
