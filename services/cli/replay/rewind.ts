import { ConflictError, KafkaError, NotFoundError, type EventBus, type GroupDescription, type KafkaAdmin, type Logger } from '../../common/index.js';
import { joinAsOnlyMember } from './group-member.js';
import { offsetsAt } from './offsets.js';
import { describePosition, type Position } from './positions.js';
import type { GroupTarget } from './targets.js';

/**
 * How long the replay's own group member waits to be handed the topic's
 * partitions: past the 30 s session of a member that died without leaving.
 */
export const JOIN_TIMEOUT_MS = 45_000;

export interface RewindOptions {
  /** Full topic name. */
  topic: string;
  group: GroupTarget;
  from: Position;
  dryRun: boolean;
  /** @default JOIN_TIMEOUT_MS */
  joinTimeoutMs?: number;
}

export interface RewoundPartition {
  partition: number;
  /** The group's offset before (the next it would read); null where it had none. */
  committed: number | null;
  /** The offset it reads next from now on. */
  offset: number;
  /** End of the partition when the offsets were set. */
  end: number;
  /** Messages between the new offset and the end. */
  to_reread: number;
}

export interface RewindReport {
  topic: string;
  group: string;
  service: string | null;
  from: string;
  dry_run: boolean;
  /** How the group was found inactive: described by its coordinator, or by joining it; or not checked (dry run on a broker that cannot describe groups). */
  inactive_by: 'describe' | 'join' | 'not checked';
  partitions: RewoundPartition[];
}

/**
 * Sets `group`'s committed offsets on every partition of `topic` to where
 * `from` points, so its service re-reads from there when it starts again.
 * Kafka lets offsets move only while a group has no members: an active group
 * is refused. The offsets are committed by a member of the group of the
 * replay's own (see joinAsOnlyMember), then read back.
 */
export async function rewindGroup(deps: { bus: EventBus; admin: KafkaAdmin; logger: Logger }, options: RewindOptions): Promise<RewindReport> {
  const { bus, admin, logger } = deps;
  const { topic, group } = options;
  const marks = await bus.topicOffsets(topic);
  if (marks.length === 0) throw new NotFoundError(`topic ${topic}`, 'it does not exist on the brokers');
  const [targets, before, description] = await Promise.all([
    offsetsAt(admin, topic, marks, options.from),
    bus.committedOffsets(group.groupId, topic),
    admin.describeGroup(group.groupId),
  ]);
  if (description && !['Empty', 'Dead'].includes(description.state)) throw activeGroup(group, description);

  const report: RewindReport = {
    topic,
    group: group.groupId,
    service: group.service ?? null,
    from: describePosition(options.from),
    dry_run: options.dryRun,
    inactive_by: description ? 'describe' : options.dryRun ? 'not checked' : 'join',
    partitions: marks.map(({ partition, high }) => {
      const offset = targets.get(partition)!;
      return { partition, committed: before.find((c) => c.partition === partition)?.offset ?? null, offset, end: high, to_reread: Math.max(0, high - offset) };
    }),
  };
  if (options.dryRun) return report;

  let member;
  try {
    member = await joinAsOnlyMember(bus, { groupId: group.groupId, topic, partitions: marks.map((m) => m.partition), timeoutMs: options.joinTimeoutMs ?? JOIN_TIMEOUT_MS, logger });
  } catch (err) {
    throw err instanceof ConflictError ? new ConflictError(`${err.message}: ${stopFirst(group)}`) : err;
  }
  try {
    await member.commit(report.partitions.map(({ partition, offset }) => ({ topic, partition, offset })));
  } finally {
    await member.close();
  }
  const after = await bus.committedOffsets(group.groupId, topic);
  const wrong = report.partitions.filter((p) => after.find((c) => c.partition === p.partition)?.offset !== p.offset);
  if (wrong.length > 0) {
    throw new KafkaError(`group ${group.groupId} reads back other offsets than were committed on ${topic} partitions ${wrong.map((p) => p.partition).join(', ')}: did a member join meanwhile?`, { topic });
  }
  return report;
}

function stopFirst(group: GroupTarget): string {
  const who = group.service ? `the ${group.service} service (every process of it)` : `every consumer in group ${group.groupId}`;
  return `Kafka moves a group's offsets only while it has no members. Stop ${who} first, then run this again; a member that just stopped leaves the group when its session times out.`;
}

function activeGroup(group: GroupTarget, d: GroupDescription): ConflictError {
  const members = d.members.map((m) => `${m.clientId}@${m.host}`).join(', ');
  return new ConflictError(`group ${group.groupId} is active (${d.state}, ${d.members.length} member${d.members.length === 1 ? '' : 's'}${members ? `: ${members}` : ''}). ${stopFirst(group)}`);
}
