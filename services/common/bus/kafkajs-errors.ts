import { KafkaError } from '../errors.js';

/** kafkajs protocol error types after which the member must rejoin: its partitions are being taken away. */
const REJOIN_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);

export function isRejoinError(err: unknown): boolean {
  const type = (err as { type?: unknown } | null)?.type;
  return typeof type === 'string' && REJOIN_TYPES.has(type);
}

/** Wraps a kafkajs error into a KafkaError, keeping kafkajs' own `retriable` verdict and the error as `cause`. */
export function wrapKafkajsError(err: unknown, context: { topic?: string; partition?: number } = {}, doing?: string): KafkaError {
  if (err instanceof KafkaError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as { message?: string; retriable?: unknown; type?: unknown; name?: unknown };
  const kind = typeof e.type === 'string' ? e.type : typeof e.name === 'string' ? e.name : undefined;
  const where = context.topic === undefined ? '' : ` [${context.topic}${context.partition === undefined ? '' : `/${context.partition}`}]`;
  return new KafkaError(`${doing ? `${doing}: ` : ''}${e.message ?? String(err)}${kind ? ` (${kind})` : ''}${where}`, context, {
    cause: err,
    retriable: typeof e.retriable === 'boolean' ? e.retriable : true,
  });
}
