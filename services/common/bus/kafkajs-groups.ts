import kafkajs from 'kafkajs';
import type { Logger } from '../logger.js';
import { wrapKafkajsError } from './kafkajs-errors.js';
import { lazyKafkajsAdmin } from './kafkajs-lookup.js';
import type { LazyHandle } from './lazy-handle.js';
import { kafkajsLogCreator } from './kafkajs-log.js';
import { kafkajsSecurityConfig } from './security.js';
import type { EventBusOptions } from './types.js';

/** A consumer group as the coordinator describes it. */
export interface GroupDescription {
  groupId: string;
  /** Kafka's group state: Empty, Stable, PreparingRebalance, CompletingRebalance or Dead (no such group). */
  state: string;
  members: { memberId: string; clientId: string; host: string }[];
}

/** Whether kafkajs refused a request because the broker does not offer that API (its retrier keeps only the message). */
function unsupportedApi(err: unknown): boolean {
  const { name, message } = (err ?? {}) as { name?: unknown; message?: unknown };
  return name === 'KafkaJSServerDoesNotSupportApiKey' || (typeof message === 'string' && message.includes('does not support the requested API'));
}

/**
 * DescribeGroups through a kafkajs admin (node-rdkafka has no such call).
 * Answers undefined where the brokers do not offer the API, as librdkafka's
 * mock cluster does not.
 */
export class KafkajsGroups {
  private readonly admin: LazyHandle<kafkajs.Admin>;

  constructor(options: EventBusOptions, logger: Logger) {
    const kafka = new kafkajs.Kafka({
      clientId: options.clientId ?? 'driftloop',
      brokers: [...options.brokers],
      ...kafkajsSecurityConfig(options.security),
      logLevel: kafkajs.logLevel.WARN,
      logCreator: kafkajsLogCreator(logger.child({ part: 'kafkajs' }), () => undefined),
    });
    this.admin = lazyKafkajsAdmin(kafka, logger);
  }

  async describe(groupId: string): Promise<GroupDescription | undefined> {
    const admin = await this.admin.get();
    try {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups.find((g) => g.groupId === groupId);
      return {
        groupId,
        state: group?.state ?? 'Dead',
        members: (group?.members ?? []).map((m) => ({ memberId: m.memberId, clientId: m.clientId, host: m.clientHost })),
      };
    } catch (err) {
      if (unsupportedApi(err)) return undefined;
      throw wrapKafkajsError(err, {}, `describe group ${groupId}`);
    }
  }

  close(): Promise<void> {
    return this.admin.close();
  }
}
