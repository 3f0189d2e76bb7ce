/**
 * One place for every error driftloop raises. Each error has a stable `code`
 * (never reused, safe to match on), an HTTP status for the API layer,
 * `retriable` for the retry module, and an optional `cause`.
 */

export interface ErrorOptions {
  cause?: unknown;
  /** Overrides the code's default: e.g. a ClickHouse error that is known to be transient. */
  retriable?: boolean;
}

export class DriftloopError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly retriable: boolean;

  constructor(code: string, message: string, statusCode: number, retriable: boolean, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.statusCode = statusCode;
    this.retriable = options.retriable ?? retriable;
  }

  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message };
  }
}

/** A configuration key is missing or has a value outside what it allows. */
export class ConfigError extends DriftloopError {
  constructor(
    readonly key: string,
    reason: string,
  ) {
    super('DL_CONFIG_INVALID', `config ${key}: ${reason}`, 500, false);
  }
}

/** Input failed validation; `path` points at the offending field (JSON pointer style). */
export class ValidationError extends DriftloopError {
  constructor(
    readonly path: string,
    reason: string,
    options: ErrorOptions = {},
  ) {
    super('DL_VALIDATION', `${path || '/'}: ${reason}`, 400, false, options);
  }
}

/** Bytes that are not any accepted encoding, or that do not match their schema. */
export class DecodeError extends DriftloopError {
  constructor(reason: string, options: ErrorOptions = {}) {
    super('DL_DECODE', reason, 400, false, options);
  }
}

export class NotFoundError extends DriftloopError {
  /** `detail` says why, when "not found" alone would mislead (e.g. a model that exists but has no champion yet). */
  constructor(what: string, detail?: string) {
    super('DL_NOT_FOUND', `${what} not found${detail ? `: ${detail}` : ''}`, 404, false);
  }
}

export class ConflictError extends DriftloopError {
  constructor(reason: string) {
    super('DL_CONFLICT', reason, 409, false);
  }
}

export class AuthError extends DriftloopError {
  constructor(reason = 'missing or invalid credentials') {
    super('DL_UNAUTHORIZED', reason, 401, false);
  }
}

/** Kafka client failures. Most are transient (leader moves, timeouts); the adapter decides. */
export class KafkaError extends DriftloopError {
  constructor(
    reason: string,
    readonly context: { topic?: string; partition?: number } = {},
    options: ErrorOptions = {},
  ) {
    super('DL_KAFKA', reason, 503, true, options);
  }
}

/** ClickHouse failures. `clickhouseCode` is the server's numeric code when it sent one. */
export class ClickHouseError extends DriftloopError {
  constructor(
    reason: string,
    readonly context: { table?: string; clickhouseCode?: number; type?: string } = {},
    options: ErrorOptions = {},
  ) {
    super('DL_CLICKHOUSE', reason, 503, true, options);
  }
}

export class SchemaRegistryError extends DriftloopError {
  constructor(
    reason: string,
    readonly registryCode: number,
    statusCode: number,
    options: ErrorOptions = {},
  ) {
    super('DL_SCHEMA_REGISTRY', reason, statusCode, statusCode >= 500, options);
  }
}

/** A migration file changed after it was applied, or a migration failed. */
export class MigrationError extends DriftloopError {
  constructor(reason: string, options: ErrorOptions = {}) {
    super('DL_MIGRATION', reason, 500, false, options);
  }
}

/** A model the gateway knows cannot answer yet: its plan is being read, or its version is loading or failed to load. Retry later. */
export class ModelUnavailableError extends DriftloopError {
  constructor(
    readonly model: string,
    reason: string,
  ) {
    super('DL_MODEL_UNAVAILABLE', `model ${model} is not available: ${reason}`, 503, true);
  }
}

/**
 * The service cannot take this request without losing something it must
 * record (the gateway's events for Kafka): refused before any work, with a
 * hint of when to try again (`Retry-After`).
 */
export class OverloadedError extends DriftloopError {
  constructor(
    reason: string,
    readonly retryAfterSeconds = 1,
  ) {
    super('DL_OVERLOADED', reason, 503, true);
  }
}

/** The process is shutting down; work was not started. */
export class ShutdownError extends DriftloopError {
  constructor(reason = 'shutting down') {
    super('DL_SHUTDOWN', reason, 503, false);
  }
}

/** A webhook refused or did not take an outbound alert; retriable for network errors, 429 and 5xx. */
export class DeliveryError extends DriftloopError {
  constructor(
    reason: string,
    readonly context: { host: string; status?: number },
    retriable: boolean,
    options: ErrorOptions = {},
  ) {
    super('DL_ALERT_DELIVERY', reason, 502, retriable, options);
  }
}

/**
 * Thrown through a search objective by `trial.prune()` to stop a trial the
 * pruner judged unpromising; the study records it as pruned, not failed.
 * (Control flow inside a study: it never reaches a caller of runStudy.)
 */
export class TrialPruned extends DriftloopError {
  constructor(
    readonly trialId: number,
    readonly step: number | undefined,
  ) {
    super('DL_TRIAL_PRUNED', `trial ${trialId} pruned${step === undefined ? '' : ` at step ${step}`}`, 500, false);
  }
}

/**
 * An external trainer command did not succeed: `outcome` says how (exit code,
 * a signal driftloop did not send, its timeout), `retriable` whether another
 * attempt may help (exit 75, or killed from outside, e.g. by the OOM killer).
 */
export class TrainerCommandError extends DriftloopError {
  constructor(
    reason: string,
    readonly outcome: 'failed' | 'timeout',
    retriable: boolean,
    readonly context: { exitCode: number | null; signal: string | null; stderrTail: string },
  ) {
    super('DL_TRAINER_COMMAND', reason, 500, retriable);
  }
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof TypeError || err instanceof RangeError || err instanceof SyntaxError) return false;
  return err instanceof DriftloopError ? err.retriable : false;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
