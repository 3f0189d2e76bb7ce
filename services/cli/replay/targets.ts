import { TOPICS, topicName, type Topic } from '../../../schemas/index.js';
import { kafkaOptions, loadConfig, ValidationError, type Option } from '../../common/index.js';
import { driftOptions } from '../../drift/index.js';
import { evaluatorOptions } from '../../evaluator/index.js';
import { ingestOptions } from '../../ingest/index.js';
import { registryOptions } from '../../registry/index.js';
import { rolloutOptions } from '../../rollout/index.js';
import { trainerOptions } from '../../trainer/index.js';

/** Names a topic goes by on the command line besides its contract name. */
const ALIASES: Readonly<Record<string, Topic>> = { 'dead-letters': 'dlq' };

export const TOPIC_CHOICES = `${TOPICS.filter((t) => t !== 'dlq').join(', ')}, dead-letters (or dlq)`;

/**
 * A topic by its contract name (`features`, `dead-letters`…) or its full
 * name with the configured prefix; anything else is an error naming the choices.
 */
export function resolveTopic(text: string, prefix: string, flag: string): { topic: Topic; name: string } {
  const bare = prefix && text.startsWith(prefix) ? text.slice(prefix.length) : text;
  const topic = ALIASES[bare] ?? (TOPICS as readonly string[]).find((t) => t === bare);
  if (!topic) throw new ValidationError(flag, `unknown topic ${JSON.stringify(text)}: use one of ${TOPIC_CHOICES}`);
  return { topic: topic as Topic, name: topicName(prefix, topic as Topic) };
}

/** A consumer group to rewind, and the Kafka client its members use (a probe member must speak the same assignment protocol). */
export interface GroupTarget {
  groupId: string;
  /** The driftloop service whose group this is, when named by service. */
  service?: string;
  client: 'rdkafka' | 'kafkajs';
}

type GroupOption = Option<string>;
const SERVICE_GROUPS: Readonly<Record<string, { group: GroupOption; client?: Option<'rdkafka' | 'kafkajs'> }>> = {
  ingest: { group: ingestOptions.ingestGroupId, client: ingestOptions.ingestKafkaClient },
  drift: { group: driftOptions.driftGroupId },
  trainer: { group: trainerOptions.trainerGroupId },
  evaluator: { group: evaluatorOptions.evalGroupId },
  registry: { group: registryOptions.registryGroupId },
  rollout: { group: rolloutOptions.rolloutGroupId },
};

/**
 * A service name (its configured group id, e.g. INGEST_GROUP_ID) or a group
 * id as it is. The gateway has nothing to rewind: each of its processes
 * joins a group of its own, commits nothing and reads its topics from the start.
 */
export function resolveGroup(text: string, env: NodeJS.ProcessEnv): GroupTarget {
  const name = text.trim();
  if (name === 'gateway') {
    throw new ValidationError('--group', 'the gateway has no group to rewind: each process joins its own (GATEWAY_GROUP_ID.<host>.<pid>), commits nothing and reads registry-events and rollout-events from the start whenever it starts');
  }
  const { kafkaClient } = loadConfig({ kafkaClient: kafkaOptions.kafkaClient }, env);
  const service = SERVICE_GROUPS[name];
  if (service) {
    const groupId = service.group.read(env[service.group.env]);
    return { groupId, service: name, client: service.client ? service.client.read(env[service.client.env]) : kafkaClient };
  }
  if (!/^[A-Za-z0-9._-]{1,249}$/.test(name)) {
    throw new ValidationError('--group', `${JSON.stringify(text)} is neither a service (${Object.keys(SERVICE_GROUPS).join(', ')}) nor a group id (letters, digits, . _ -)`);
  }
  return { groupId: name, client: kafkaClient };
}
