import kafkajs from 'kafkajs';
import type { Logger } from '../logger.js';
import { wrapKafkajsError } from './kafkajs-errors.js';
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
  private admin: Promise<kafkajs.Admin> | undefined;
  private readonly kafka: kafkajs.Kafka;

  constructor(
    options: EventBusOptions,
    private readonly logger: Logger,
  ) {
    this.kafka = new kafkajs.Kafka({
      clientId: options.clientId ?? 'driftloop',
      brokers: [...options.brokers],
      ...kafkajsSecurityConfig(options.security),
      logLevel: kafkajs.logLevel.WARN,
      logCreator: kafkajsLogCreator(logger.child({ part: 'kafkajs' }), () => undefined),
    });
  }

  async describe(groupId: string): Promise<GroupDescription | undefined> {
    const admin = await this.connected();
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

  async close(): Promise<void> {
    const pending = this.admin;
    this.admin = undefined;
    if (!pending) return;
    try {
      await (await pending).disconnect();
    } catch (err) {
      this.logger.debug({ err }, 'admin never connected');
    }
  }

  private connected(): Promise<kafkajs.Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      const pending = admin.connect().then(
        () => admin,
        (err: unknown) => {
          throw wrapKafkajsError(err, {}, 'admin connect');
        },
      );
      this.admin = pending;
      pending.catch(() => {
        if (this.admin === pending) this.admin = undefined;
      });
    }
    return this.admin;
  }
}
