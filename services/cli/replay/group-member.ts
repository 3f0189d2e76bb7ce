import { ConflictError, errorMessage, type Consumer, type EventBus, type Logger } from '../../common/index.js';

/** How long an assignment short of every partition may grow before the member gives up. */
const SETTLE_MS = 1500;

/**
 * Joins `groupId` for `topic` and resolves with the member once the group has
 * handed it every partition: proof that no other member consumes the topic.
 * Where another member holds some (or the group hands out nothing within
 * `timeoutMs`), it leaves again and fails saying the group is active.
 *
 * Why a member: Kafka accepts offsets for a group without members from
 * anyone (what kafka-consumer-groups --reset-offsets and kafkajs' setOffsets
 * send), but librdkafka's mock cluster answers UNKNOWN_MEMBER_ID to such a
 * commit for any group that ever had members, and it cannot describe groups
 * either. A member's commit works on both. Its cost: on a group that is in
 * fact active, joining briefly rebalances it (real brokers are described
 * first, so that only happens on the mock). The member must use the
 * client its group's members use: the mock cluster aborts when members of
 * one group name different assignment protocols first.
 *
 * The member reads nothing it keeps: it is paused at once and commits only
 * what the caller gives it.
 */
export async function joinAsOnlyMember(
  bus: EventBus,
  options: { groupId: string; topic: string; partitions: readonly number[]; timeoutMs: number; logger: Logger },
): Promise<Consumer> {
  const { groupId, topic, partitions, timeoutMs, logger } = options;
  const held = new Set<number>();
  let consumer: Consumer | undefined;
  let settle: NodeJS.Timeout | undefined;
  let decide!: (outcome: 'all' | 'partial' | 'none') => void;
  const outcome = new Promise<'all' | 'partial' | 'none'>((resolve) => (decide = resolve));
  const deadline = setTimeout(() => decide('none'), timeoutMs);
  try {
    consumer = await bus.consumer({
      groupId,
      topics: [topic],
      // Kafka's smallest by default (group.min.session.timeout.ms). Short on purpose: when a member
      // leaves, the mock cluster holds the group's next rebalance for that session less 1 s and drops any
      // member that joins meanwhile with a shorter session; and a kafkajs member lingers that long there.
      sessionTimeoutMs: 6000,
      onBatch: async () => undefined,
      onAssign: (assigned) => {
        consumer?.pause();
        for (const p of assigned) if (p.topic === topic) held.add(p.partition);
        clearTimeout(settle);
        if (partitions.every((p) => held.has(p))) decide('all');
        else settle = setTimeout(() => decide('partial'), SETTLE_MS);
      },
      onRevoke: (revoked) => {
        for (const p of revoked) if (p.topic === topic) held.delete(p.partition);
      },
      onError: (err) => logger.debug({ err: errorMessage(err) }, 'replay group member'),
    });
    consumer.pause();
    const result = await outcome;
    if (result === 'all') return consumer;
    const share = result === 'partial' ? `it handed this member partitions ${[...held].sort((a, b) => a - b).join(', ')} of ${partitions.length}` : `it handed this member nothing within ${timeoutMs / 1000} s`;
    throw new ConflictError(`group ${groupId} has another member consuming ${topic} (${share})`);
  } catch (err) {
    await consumer?.close();
    throw err;
  } finally {
    clearTimeout(deadline);
    clearTimeout(settle);
  }
}
