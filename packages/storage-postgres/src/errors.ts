/**
 * Errors of the PostgreSQL provider and the one place that classifies the driver's failures: which are worth a
 * retry (connection refused or reset, serialization failure, deadlock) and which are not (bad password, missing
 * database, a constraint the data breaks). Messages name the server as host:port/database and never a password.
 */
import { StorageError, type StorageFailureKind } from '@pm/core';

/**
 * Why a PostgreSQL operation failed. `unavailable`: the server could not be reached or dropped the connection
 * (after the retries); `conflict`: concurrent transactions kept colliding (serialization failure, deadlock) beyond
 * the retries; `rejected`: the server refused the request (authentication, missing database, permissions, SQL).
 */
export type PostgresFailure = 'unavailable' | 'conflict' | 'rejected';

/** A failed PostgreSQL operation: `StorageError` with code STORAGE_FAILED and typed details. */
export class PostgresStorageError extends StorageError {
  constructor(
    /** What kind of failure, see {@link PostgresFailure}. */
    readonly failure: PostgresFailure,
    /** The server as `host:port/database`, without credentials. */
    readonly target: string,
    /** The SQLSTATE or system error code of the cause, e.g. '40001' or 'ECONNREFUSED', if any. */
    readonly causeCode: string | undefined,
    /** Tries made, 1 when the failure was not worth a retry. */
    readonly attempts: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('STORAGE_FAILED', message, { ...options, kind: failureKind(failure, causeCode) });
  }
}

/**
 * Unreachable or colliding: a retry may help. Refused with a data exception (22xxx: bad encoding, value too long)
 * or an integrity constraint (23xxx): the data is at fault, another record would go through. Anything else the
 * server refuses (permissions, a missing table, a full disk) is the store's.
 */
function failureKind(failure: PostgresFailure, code: string | undefined): StorageFailureKind {
  if (failure !== 'rejected') return 'transient';
  return code !== undefined && /^2[23]/.test(code) ? 'record' : 'store';
}

/** Thrown inside a transaction to have it run again (a row appeared between our lock and our write). */
export class RetryTransaction extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RetryTransaction';
  }
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
]);
/** SQLSTATEs of a server that is going away or cannot take us now. */
const UNAVAILABLE_STATES = new Set([
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
]);
/**
 * SQLSTATEs of colliding transactions: serialization failure, deadlock, and a lock another connection held past
 * `lock_timeout` (55P03, which a server or role may set); the deferred phone constraint collides like a
 * serialization failure.
 */
const CONFLICT_STATES = new Set(['40001', '40P01', '55P03']);
/** pg reports a dropped connection and a pool timeout by message only; this is the one place that reads them. */
const DROPPED =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable|Query read timeout/i;

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Classifies a driver error: a failure kind, and whether a retry may help. */
export function classify(error: unknown): { failure: PostgresFailure; code: string | undefined } {
  if (error instanceof RetryTransaction) return { failure: 'conflict', code: undefined };
  const code = codeOf(error);
  if (code !== undefined && CONFLICT_STATES.has(code)) return { failure: 'conflict', code };
  if (code === '23505' && (error as { constraint?: unknown }).constraint === 'peers_phone_unique')
    return { failure: 'conflict', code };
  if (code !== undefined && (NETWORK_CODES.has(code) || UNAVAILABLE_STATES.has(code)))
    return { failure: 'unavailable', code };
  if (code === undefined && error instanceof Error && DROPPED.test(error.message))
    return { failure: 'unavailable', code };
  if (error instanceof AggregateError && error.errors.some((e) => classify(e).failure === 'unavailable'))
    return { failure: 'unavailable', code: codeOf(error.errors[0]) };
  return { failure: 'rejected', code };
}

/** Removes `secret` (a password) from a message, wherever a driver might have echoed it. */
export function redact(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join('***') : message;
}

/** The message of any thrown value. */
export function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return messageOf(error.errors[0]);
  return error instanceof Error ? error.message : String(error);
}
