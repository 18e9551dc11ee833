import { AppError, ErrorCode } from '../errors.js';
import { RetryTransaction, StaleRead } from '../domain/ports.js';
import { BatchMoved, PG_BATCH_MOVED_CODE } from './batch/batch-session.js';
import { CommitNotReplicated } from './pg-replicated-commit.js';
import { isSocketMissing } from './connection-problem.js';
import { SQLITE_THREAD_EXITED } from './sqlite-thread/connection.js';
import { STALE_READ_CODE } from './sqlite-thread/protocol.js';
import { PG_STALE_READ_CODE } from './sql/read-expectation.js';

/*
 * What a database error means to the caller: redo the transaction (isRetryable), or answer with
 * a typed error (classifyDatabaseError): "the database is not there", "every connection is busy",
 * a read that no longer holds. Shared by the units of work and the statements outside them.
 */

// 23505: two writers created the same foreign id at once; the redo finds the winner's lead.
const RETRYABLE_PG = new Set(['40001', '40P01', '23505']);
const UNAVAILABLE_PG_CLASSES = ['08', '57', '53'];
// read_only_sql_transaction: the server behind DATABASE_URL is a standby in recovery (an old
// primary back as one after a failover, a pooler pointed at the standby): the write was refused
// before it stored anything, and the client's retry succeeds once the primary is there again.
const READ_ONLY_SERVER = '25006';
const UNAVAILABLE_NODE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
]);

/**
 * SQLite's families of "the file cannot be read or written": a full or failing disk, a file
 * system remounted read-only under the running service (SQLITE_READONLY, _DBMOVED when the file
 * was replaced), or a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB: its pages cannot be read;
 * the call's cause is logged, and the operator restores a backup).
 */
const UNAVAILABLE_SQLITE = [
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
  'SQLITE_IOERR',
  'SQLITE_READONLY',
  'SQLITE_CORRUPT',
  'SQLITE_NOTADB',
];

export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof RetryTransaction || error instanceof BatchMoved) return true;
  const code = errorCode(error);
  return (
    RETRYABLE_PG.has(code) ||
    // A batch's UPDATE found a person it read gone (row-sets.ts, queueCheckedRows): BatchMoved.
    code === PG_BATCH_MOVED_CODE ||
    code.startsWith('SQLITE_BUSY') ||
    code === 'SQLITE_CONSTRAINT_UNIQUE'
  );
}

/** Turns "the database is not there" into a typed error; everything else passes unchanged. */
export function classifyDatabaseError(error: unknown): unknown {
  if (error instanceof AppError) return error;
  const code = errorCode(error);
  // A check of WriteScope.expect that did not hold: the domain's error, never retried here.
  if (code === STALE_READ_CODE || code === PG_STALE_READ_CODE) return new StaleRead();
  const message = error instanceof Error ? error.message : '';
  // Every connection of the pool stayed busy for the acquire timeout: the service is saturated
  // (the database is fine; when it is down, connecting fails at once and is reported below).
  if (
    (error instanceof Error && error.name === 'KnexTimeoutError') ||
    /Timeout acquiring a connection|pool is probably full/i.test(message)
  ) {
    return new AppError(
      ErrorCode.CONCURRENCY_LIMIT_EXCEEDED,
      'Every database connection is busy; try again shortly',
      { cause: error },
    );
  }
  const unavailable =
    error instanceof CommitNotReplicated ||
    UNAVAILABLE_NODE.has(code) ||
    isSocketMissing(error) ||
    UNAVAILABLE_PG_CLASSES.some((c) => code.startsWith(c)) ||
    code === READ_ONLY_SERVER ||
    code.startsWith('SQLITE_BUSY') ||
    // By family: SQLite reports its extended codes (SQLITE_IOERR_WRITE, SQLITE_IOERR_FSYNC on a
    // full or failing disk, SQLITE_CANTOPEN_ISDIR…), never the bare ones.
    UNAVAILABLE_SQLITE.some((family) => code === family || code.startsWith(`${family}_`)) ||
    // The SQLite thread died under the call: its outcome is unknown (a new thread takes over).
    code === SQLITE_THREAD_EXITED ||
    // "…is not queryable": the connection broke under a statement (COMMIT too): its outcome
    // is unknown, so the caller must never be told it succeeded.
    /Unable to acquire a connection|Connection terminated|Connection ended unexpectedly|is not queryable|database .* does not exist/i.test(
      message,
    ) ||
    // pg's connectionTimeoutMillis: the server never answered the connection attempt.
    message === 'timeout expired';
  if (unavailable) {
    return new AppError(ErrorCode.DATABASE_UNAVAILABLE, 'Database unavailable', { cause: error });
  }
  return error;
}
