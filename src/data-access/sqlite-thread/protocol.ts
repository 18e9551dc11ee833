/** What crosses between the main thread and an SQLite thread (structured clone). */

/**
 * WAL pages that make the writer's COMMIT checkpoint (SQLITE_WAL_AUTOCHECKPOINT_PAGES). SQLite's
 * own default, 1,000, copied the hot pages of the leads' indexes into the file every few
 * batches; at 10,000 a batch of 300 updates wrote about 40 % fewer bytes.
 */
export const DEFAULT_WAL_AUTOCHECKPOINT_PAGES = 10000;

/** How a thread opens its connection: the settings every connection of the file shares. */
export interface SqliteThreadOptions {
  filename: string;
  /** A reader: opened read-only, it can never take the write lock. */
  readonly: boolean;
  busyTimeoutMs: number;
  /** The writer's wal_autocheckpoint, in pages (readers never checkpoint on their own). */
  walAutocheckpointPages: number;
}

/**
 * The code of a failed expectation (StatementCall.expect): its own, so that it is never taken
 * for SQLite's (no retry, no "unavailable"); database-errors.ts turns it into StaleRead.
 */
export const STALE_READ_CODE = 'STALE_READ';

/** The error of a failed expectation, wherever it is checked (the thread, or statement.ts). */
export function staleReadError(): Error {
  const error = new Error('the rows a write was planned on changed since they were read');
  return Object.assign(error, { name: 'StaleRead', code: STALE_READ_CODE });
}

/** One statement's text and values. */
export interface StatementCall {
  sql: string;
  bindings: unknown[];
  /** Queued, and its changes are wanted: they come back in the answer's `queuedChanges`. */
  counted?: true;
  /**
   * A SELECT whose first row's first value must be true (1): otherwise it fails with
   * STALE_READ_CODE, as a failed write would, and so does its message (a step's whole unit,
   * which, checked first, has written nothing yet). A write planned on an earlier read checks that read so.
   */
  expect?: true;
}

/**
 * A statement to answer, after the statements queued before it whose results nobody reads
 * (`queued`, run first and in order). The first of them to fail answers for the whole message:
 * the statement itself is not run (a COMMIT is replaced by a ROLLBACK), except a ROLLBACK,
 * which always runs.
 */
export interface StatementRequest extends StatementCall {
  id: number;
  queued?: StatementCall[];
  /**
   * After the statement (a SELECT): unless its first row's `column` is true (1), `then` runs,
   * in order, in the same message (statement.ts, runUnless).
   */
  unless?: { column: string; then: StatementCall[] };
  /**
   * After the statement (a write returning its row): if it gave a row, these run, in order, in
   * the same message; their results are not read (statement.ts, runIfRow).
   */
  ifRow?: StatementCall[];
  /**
   * One unit of a group commit in one message (unit-of-work.ts, writeStep): after `queued`
   * (earlier units' RELEASE, the transaction's BEGIN), these statements, the statement
   * itself, `unless` or `ifRow`, with no savepoint of their own (worker.ts, runStep). A
   * failure before any of them changed a row answers the message and leaves no trace: the
   * units after it in the same transaction go on. A failure after one did answers with
   * `undoesGroup`: the transaction holds part of the unit, so the group writer rolls it back
   * and runs the other units again; until then the steps behind it are refused with
   * GROUP_UNDONE_CODE, and a COMMIT rolls back instead.
   * A failure that ended the transaction itself (SQLITE_FULL, an I/O error), or a `queued`
   * statement that failed (BEGIN past the busy timeout), leaves no transaction: every later
   * message then fails with the same code until a ROLLBACK or a BEGIN comes (worker.ts), so
   * that nothing posted behind the step runs outside the transaction its caller meant.
   */
  step?: StatementCall[];
}

/**
 * A message to a thread. Besides these, the steps of one group (`step` requests) may cross as
 * one array (connection.ts, holdSteps), run in order and answered by an array of answers.
 */
export type SqliteRequest = StatementRequest | ReadsRequest | { id: number; backupTo: string };

/** A failure as it crossed: `code` (SQLITE_BUSY, SQLITE_CONSTRAINT_UNIQUE…) drives retries. */
export interface CrossedError {
  name: string;
  message: string;
  code?: string;
  /** A step's failure that left some of its writes in the transaction (StatementRequest.step). */
  undoesGroup?: true;
}

/**
 * The code of a step refused because one before it in the transaction failed after writing
 * (StatementRequest.step): its unit did not run, and runs again once the group is rolled back.
 */
export const GROUP_UNDONE_CODE = 'GROUP_UNDONE';

/** The changes of the queued statements marked `counted`, in order (with every answer). */
interface Counts {
  queuedChanges?: number[];
}

/**
 * Rows as arrays of values in the order of their shape's names (row-shapes.ts): `columns`
 * comes with the first answer of each shape.
 */
export interface RowsAnswer extends Counts {
  id: number;
  rows: unknown[][];
  shape: number;
  columns?: string[];
  thenChanges?: number;
}

export type SqliteResponse =
  | RowsAnswer
  | ReadsAnswer
  | ({ id: number; changes: number; lastInsertRowid: number | bigint } & Counts)
  | { id: number; done: true }
  | { id: number; error: CrossedError };

/** The thread's first message: its connection is open and set up, or could not be. */
export type SqliteReady = { ready: true } | { ready: false; error: CrossedError };

/**
 * Plain reads outside any transaction, in one message (grouped-reads.ts): each runs alone, in
 * order, and sees the last commit when it starts; each has its own outcome in the answer.
 */
export interface ReadsRequest {
  id: number;
  reads: StatementCall[];
}

/** A read's rows as in a RowsAnswer, or its own failure. */
export type ReadOutcome =
  { rows: unknown[][]; shape: number; columns?: string[] } | { error: CrossedError };

export interface ReadsAnswer {
  id: number;
  outcomes: ReadOutcome[];
}
