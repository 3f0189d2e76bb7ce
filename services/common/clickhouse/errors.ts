import { ClickHouseError, errorMessage } from '../errors.js';

/**
 * Server error codes that say "try again later" rather than "this statement is wrong".
 * https://github.com/ClickHouse/ClickHouse/blob/master/src/Common/ErrorCodes.cpp
 */
const TRANSIENT_CODES = new Set([
  159, // TIMEOUT_EXCEEDED
  164, // READONLY
  202, // TOO_MANY_SIMULTANEOUS_QUERIES
  209, // SOCKET_TIMEOUT
  210, // NETWORK_ERROR
  236, // ABORTED
  241, // MEMORY_LIMIT_EXCEEDED
  242, // TABLE_IS_READ_ONLY
  252, // TOO_MANY_PARTS
  319, // UNKNOWN_STATUS_OF_INSERT
  425, // SYSTEM_ERROR
  999, // KEEPER_EXCEPTION
]);

const NETWORK_ERRNO = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_SOCKET']);

/** Codes meaning the rows themselves are bad: retrying the same bytes cannot help. */
export const DATA_ERROR_CODES = new Set([
  6, // CANNOT_PARSE_TEXT
  27, // CANNOT_PARSE_INPUT_ASSERTION_FAILED
  32, // ATTEMPT_TO_READ_AFTER_EOF
  33, // CANNOT_READ_ALL_DATA
  41, // CANNOT_PARSE_DATETIME
  53, // TYPE_MISMATCH
  69, // ARGUMENT_OUT_OF_BOUND
  70, // CANNOT_CONVERT_TYPE
  72, // CANNOT_PARSE_NUMBER
  117, // INCORRECT_DATA
]);

/** Wraps whatever a ClickHouse call threw into one error type with a retriable verdict. */
export function toClickHouseError(err: unknown, table?: string): ClickHouseError {
  if (err instanceof ClickHouseError) return err;
  const e = err as { code?: string | number; type?: string; clickhouseCode?: number; cause?: { code?: string } };
  const numeric = typeof e.clickhouseCode === 'number' ? e.clickhouseCode : Number(e.code);
  const clickhouseCode = Number.isInteger(numeric) && numeric > 0 ? numeric : undefined;
  const errno = typeof e.code === 'string' && Number.isNaN(Number(e.code)) ? e.code : e.cause?.code;
  const retriable = clickhouseCode === undefined ? NETWORK_ERRNO.has(errno ?? '') || /socket|timeout|ECONN/i.test(errorMessage(err)) : TRANSIENT_CODES.has(clickhouseCode);
  return new ClickHouseError(errorMessage(err), { table, clickhouseCode, type: e.type }, { cause: err, retriable });
}
