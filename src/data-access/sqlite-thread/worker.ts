import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import {
  GROUP_UNDONE_CODE,
  staleReadError,
  type CrossedError,
  type SqliteReady,
  type SqliteRequest,
  type SqliteResponse,
  type SqliteThreadOptions,
  type StatementCall,
  type StatementRequest,
} from './protocol.js';
import { cachedPrepare } from './statement-cache.js';
import { RowShapes, type RowsOfShape } from './row-shapes.js';
import { answerReads } from './worker-reads.js';
import { LockPolling } from './lock-polling.js';

/**
 * An SQLite thread: one better-sqlite3 connection, running the statements the main thread
 * posts one after the other. Its synchronous work (a slow query, COMMIT's fsync) blocks this
 * thread only; the service's event loop goes on answering.
 */

// Pages per backup step: all of them, so the copy is one read transaction that writers in
// other processes cannot restart (WAL lets them go on writing meanwhile).
const WHOLE_FILE = 0x7fffffff;

function crossed(error: unknown): CrossedError {
  const e = error as { name?: unknown; message?: unknown; code?: unknown };
  return {
    name: typeof e?.name === 'string' ? e.name : 'Error',
    message: typeof e?.message === 'string' ? e.message : String(error),
    ...(typeof e?.code === 'string' ? { code: e.code } : {}),
  };
}

/** Where the writer keeps its temporary journals (and tables): 2 = MEMORY. */
const WRITER_TEMP_STORE = 'MEMORY';

function open(options: SqliteThreadOptions): BetterSqlite3.Database {
  const db = new BetterSqlite3(options.filename, {
    readonly: options.readonly,
    fileMustExist: options.readonly,
  });
  db.pragma(`busy_timeout = ${options.busyTimeoutMs}`);
  if (!options.readonly) {
    db.pragma('journal_mode = WAL');
    // FULL: an acknowledged unsubscribe is on disk before we answer, even in WAL mode.
    db.pragma('synchronous = FULL');
    // The journals of savepoints and statements in memory, not in temporary files: each unit
    // of a group commit is a savepoint, and its journal, past 64 KiB, went to a file created,
    // written and deleted per transaction (a sixth of this thread's time in an unsubscribe
    // reaching ten people). Neither journal serves crash recovery (the WAL does). Migrations,
    // whose statements may rewrite whole tables, put them back in files (migrator.ts).
    db.pragma(`temp_store = ${WRITER_TEMP_STORE}`);
    // The checkpoint runs inside the COMMIT that takes the WAL past this many pages: the
    // further apart, the more often a page written by several transactions is copied once.
    db.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages}`);
  }
  db.pragma('foreign_keys = ON');
  return db;
}

type Prepare = (sql: string) => BetterSqlite3.Statement;
type StatementAnswer = RowsOfShape | { changes: number; lastInsertRowid: number | bigint };

const ROLLBACK = /^\s*ROLLBACK\b/i;
const WHOLE_ROLLBACK = /^\s*ROLLBACK\s*;?\s*$/i;
const COMMIT = /^\s*(COMMIT|END)\b/i;
const BEGIN = /^\s*BEGIN\b/i;

/** A connection's statements, and the shapes of their rows (row-shapes.ts). */
interface Connection {
  db: BetterSqlite3.Database;
  prepare: Prepare;
  shapes: RowShapes;
  /** Set when a step's failure ended the transaction (protocol.ts, step). */
  lost: CrossedError | null;
  /** Set when a step failed after writing: the open transaction is to be rolled back. */
  spoiled: CrossedError | null;
  /** A statement changed a row since runStep cleared it (what a failed step left). */
  wrote: boolean;
  /** How the writer waits for another process's write lock (waitingForLock); null on a reader. */
  lockPolling: LockPolling | null;
}

const BEGIN_WRITING = /^\s*BEGIN\s+(IMMEDIATE|EXCLUSIVE)\b/i;
const PRAGMA = /^\s*PRAGMA\b/i;

/**
 * `run`, which may have to take the file's write lock (a BEGIN IMMEDIATE, or a write of its
 * own outside a transaction), waiting for it as LockPolling does. Inside a transaction the
 * lock is held already, or not needed. A pragma keeps SQLite's busy handler: a checkpoint
 * counts as a write, and reports a busy file in its row rather than failing, so it would
 * neither wait nor be retried.
 */
function waitingForLock<T>(
  connection: Connection,
  statement: BetterSqlite3.Statement,
  sql: string,
  run: () => T,
): T {
  const { lockPolling, db } = connection;
  if (!lockPolling || db.inTransaction || PRAGMA.test(sql)) return run();
  return !statement.readonly || BEGIN_WRITING.test(sql) ? lockPolling.run(run) : run();
}

function execute(connection: Connection, call: StatementCall): StatementAnswer {
  const statement = connection.prepare(call.sql);
  if (statement.reader) {
    // A write with RETURNING answers one row per row it changed.
    const writes = !statement.readonly;
    let answer: RowsOfShape;
    try {
      // Not polled (waitingForLock): a retry would rerun the reads RowShapes makes around it,
      // after the write had committed. Outside a transaction such a write keeps SQLite's busy
      // handler; inside one (every caller's today) it needs no lock of its own.
      answer = connection.shapes.all(statement, call.bindings);
    } catch (error) {
      // SQLite's own error undid the statement; any other (reading its rows) came after its
      // changes, which sqlite3_reset keeps.
      if (writes && !(error instanceof BetterSqlite3.SqliteError)) connection.wrote = true;
      throw error;
    }
    if (writes && answer.rows.length > 0) connection.wrote = true;
    if (call.expect && answer.rows[0]?.[0] !== 1) throw staleReadError();
    return answer;
  }
  // better-sqlite3 counts this statement's changes alone (none for a statement that changes
  // no row), and a statement that throws has changed nothing (SQLite's ABORT).
  const { changes, lastInsertRowid } = waitingForLock(connection, statement, call.sql, () =>
    statement.run(call.bindings),
  );
  if (changes > 0) connection.wrote = true;
  return { changes, lastInsertRowid };
}

/** Ends the transaction a failed COMMIT (or what was queued before it) leaves open. */
function rollBackOpen(db: BetterSqlite3.Database): void {
  if (!db.inTransaction) return;
  try {
    db.exec('ROLLBACK');
  } catch {
    // SQLite ended it itself meanwhile.
  }
}

/**
 * The queued statements, then the one to answer (protocol.ts). The first queued statement to
 * fail (BEGIN IMMEDIATE that met SQLITE_BUSY, an INSERT that broke a constraint) answers for
 * the message, with its own code: the caller's transaction fails as if that statement had
 * been awaited, and a COMMIT it carried becomes a ROLLBACK, so nothing of the transaction is
 * stored. A ROLLBACK always runs; with no transaction open (its BEGIN failed) there is nothing
 * to undo, and it succeeds rather than hide the error that made the caller roll back.
 */
function runStatements(connection: Connection, request: StatementRequest): SqliteResponse {
  const { db } = connection;
  const { id } = request;
  const rollback = ROLLBACK.test(request.sql);
  if (connection.lost) {
    // An earlier step's failure ended the transaction (protocol.ts, step).
    if (!WHOLE_ROLLBACK.test(request.sql) && !BEGIN.test(request.queued?.[0]?.sql ?? request.sql))
      return { id, error: connection.lost };
    connection.lost = null;
  }
  if (connection.spoiled) {
    const spoiled = refuseSpoiled(connection, request);
    if (spoiled) return spoiled;
  }
  let failure: CrossedError | null = null;
  const counts: number[] = [];
  for (const call of request.queued ?? []) {
    try {
      const done = execute(connection, call);
      if (call.counted) counts.push('changes' in done ? done.changes : done.rows.length);
    } catch (error) {
      // The caller's error names the statement it awaited: say which one really failed.
      failure = crossed(error);
      failure.message += ` (sent with it: ${call.sql.slice(0, 200)})`;
      break;
    }
  }
  if (failure && !rollback) {
    if (COMMIT.test(request.sql)) rollBackOpen(db);
    if (request.step) lose(connection, failure);
    return { id, error: failure };
  }
  if (rollback) counts.length = 0; // undone: nothing was changed
  if (WHOLE_ROLLBACK.test(request.sql) && !db.inTransaction)
    return { id, changes: 0, lastInsertRowid: 0 };
  if (request.step) return runStep(connection, request, request.step, counts);
  try {
    return answerStatement(connection, request, counts);
  } catch (error) {
    if (COMMIT.test(request.sql)) rollBackOpen(db);
    return { id, error: crossed(error) };
  }
}

/** The statement, and `ifRow` or `unless` after it; throws the first failure. */
function answerStatement(
  connection: Connection,
  request: StatementRequest,
  counts: number[],
): SqliteResponse {
  const { shapes } = connection;
  const { id } = request;
  const counted = counts.length > 0 ? { queuedChanges: counts } : {};
  const answer = execute(connection, request);
  if (!('rows' in answer)) return { id, ...answer, ...counted };
  // Sent as it is from here: the shape's names go with it if the main thread lacks them.
  const rows = (extra: { thenChanges?: number }) => {
    const columns = shapes.announce(answer.shape);
    return { id, ...answer, ...(columns ? { columns } : {}), ...extra, ...counted };
  };
  const { unless, ifRow } = request;
  if (ifRow && answer.rows.length > 0) for (const call of ifRow) execute(connection, call);
  if (!unless) return rows({});
  const at = shapes.indexOf(answer.shape, unless.column);
  const flag = answer.rows[0]?.[at];
  // SQLite's true, as toBool reads it (lead-row.ts).
  if (at >= 0 && (flag === 1 || flag === '1')) return rows({});
  let thenChanges = 0;
  for (const call of unless.then) {
    const done = execute(connection, call);
    thenChanges = 'changes' in done ? done.changes : done.rows.length;
  }
  return rows({ thenChanges });
}

/** Marks the transaction lost when a step's failure left none open (protocol.ts, step). */
function lose(connection: Connection, failure: CrossedError): void {
  if (connection.db.inTransaction) return;
  connection.lost = {
    ...failure,
    message: `the transaction ended under an earlier unit: ${failure.message}`,
  };
}

/**
 * After a step that failed having written (runStep), until the transaction ends: the steps
 * behind it are not run (their units run again), and a COMMIT rolls back instead. Other
 * statements run: whatever they do is rolled back with the rest.
 */
function refuseSpoiled(connection: Connection, request: StatementRequest): SqliteResponse | null {
  const { db } = connection;
  const spoiled = connection.spoiled!;
  if (!db.inTransaction || WHOLE_ROLLBACK.test(request.sql)) {
    connection.spoiled = null;
    return null;
  }
  if (request.step) return { id: request.id, error: spoiled };
  if (!COMMIT.test(request.sql)) return null;
  rollBackOpen(db);
  connection.spoiled = null;
  return { id: request.id, error: spoiled };
}

/**
 * A one-step unit, whole or not at all (protocol.ts, step), without a savepoint of its own:
 * one cost SQLite about 6 % of its time per syncLead unsubscribe and 13 % per one-click (each
 * page a step touched copied into the sub-journal first). A statement that fails has changed
 * nothing (SQLite's ABORT; no statement here asks for FAIL), so a step that fails before any
 * of its statements changed a row leaves no trace, and the units after it go on. One that
 * fails after that spoils the transaction: its group is rolled back and its other units run
 * again (sqlite-group-writer.ts).
 */
function runStep(
  connection: Connection,
  request: StatementRequest,
  step: StatementCall[],
  counts: number[],
): SqliteResponse {
  const { db } = connection;
  if (!db.inTransaction) {
    const failure = { name: 'Error', message: 'a one-step unit came with no transaction open' };
    lose(connection, failure);
    return { id: request.id, error: failure };
  }
  connection.wrote = false;
  try {
    for (const call of step) {
      const done = execute(connection, call);
      if (call.counted) counts.push('changes' in done ? done.changes : done.rows.length);
    }
    return answerStatement(connection, request, counts);
  } catch (error) {
    const failure = crossed(error);
    // SQLite ended the whole transaction itself (a full disk, an I/O error).
    if (!db.inTransaction) lose(connection, failure);
    else if (connection.wrote) {
      failure.undoesGroup = true;
      connection.spoiled = {
        name: 'Error',
        message: `an earlier unit of the group failed after writing: ${failure.message}`,
        code: GROUP_UNDONE_CODE,
      };
    }
    return { id: request.id, error: failure };
  }
}

async function answer(connection: Connection, request: SqliteRequest): Promise<SqliteResponse> {
  if ('reads' in request)
    return answerReads(connection.prepare, connection.shapes, crossed, request);
  if (!('backupTo' in request)) return runStatements(connection, request);
  try {
    await connection.db.backup(request.backupTo, { progress: () => WHOLE_FILE });
    return { id: request.id, done: true };
  } catch (error) {
    return { id: request.id, error: crossed(error) };
  }
}

function serve(): void {
  const port = parentPort!;
  const options = workerData as SqliteThreadOptions;
  let db: BetterSqlite3.Database;
  try {
    db = open(options);
  } catch (error) {
    port.postMessage({ ready: false, error: crossed(error) } satisfies SqliteReady);
    return;
  }
  const connection: Connection = {
    db,
    prepare: cachedPrepare((sql) => db.prepare(sql)),
    shapes: new RowShapes(db),
    lost: null,
    spoiled: null,
    wrote: false,
    lockPolling: options.readonly ? null : new LockPolling(db, options.busyTimeoutMs),
  };
  port.on('message', (request: SqliteRequest | StatementRequest[] | 'close') => {
    if (request === 'close') {
      // Closing the last connection checkpoints the WAL into the database file.
      db.close();
      port.close();
      return;
    }
    // The one-step units of a group, held and sent together (connection.ts, holdSteps): run
    // in order, each as if it had come alone, and answered together.
    if (Array.isArray(request)) {
      port.postMessage(request.map((one) => runStatements(connection, one)));
      return;
    }
    void answer(connection, request).then((response) => port.postMessage(response));
  });
  port.postMessage({ ready: true } satisfies SqliteReady);
}

serve();
