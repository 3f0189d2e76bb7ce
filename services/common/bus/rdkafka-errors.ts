import Kafka from 'node-rdkafka';
import { KafkaError } from '../errors.js';

const E = Kafka.CODES.ERRORS;

/** Codes that no retry fixes: bad input, configuration, authorization. */
const PERMANENT = new Set<number>([
  E.ERR__INVALID_ARG,
  E.ERR__INVALID_TYPE,
  E.ERR__NOT_IMPLEMENTED,
  E.ERR__UNKNOWN_PARTITION,
  E.ERR__FATAL,
  E.ERR__AUTHENTICATION,
  E.ERR_MSG_SIZE_TOO_LARGE,
  E.ERR_TOPIC_AUTHORIZATION_FAILED,
  E.ERR_GROUP_AUTHORIZATION_FAILED,
  E.ERR_SASL_AUTHENTICATION_FAILED,
]);

export const ERR_QUEUE_FULL = E.ERR__QUEUE_FULL;
export const ERR_ASSIGN_PARTITIONS = E.ERR__ASSIGN_PARTITIONS;
export const ERR_REVOKE_PARTITIONS = E.ERR__REVOKE_PARTITIONS;

export function rdkafkaErrorCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Wraps a librdkafka error (or a numeric code) into a KafkaError, keeping it as `cause`. */
export function wrapRdkafkaError(err: unknown, context: { topic?: string; partition?: number } = {}, doing?: string): KafkaError {
  if (err instanceof KafkaError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as Partial<Kafka.LibrdKafkaError>;
  const code = typeof err === 'number' ? err : rdkafkaErrorCode(err);
  const message = e.message ?? (typeof err === 'number' ? `librdkafka error` : String(err));
  const retriable = e.isFatal ? false : (e.isRetriable ?? (code === undefined || !PERMANENT.has(code)));
  const where = context.topic === undefined ? '' : ` [${context.topic}${context.partition === undefined ? '' : `/${context.partition}`}]`;
  return new KafkaError(`${doing ? `${doing}: ` : ''}${message}${code === undefined ? '' : ` (librdkafka code ${code})`}${where}`, context, {
    cause: err,
    retriable,
  });
}
