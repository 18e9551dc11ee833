import { parentPort, workerData } from 'node:worker_threads';
import BetterSqlite3 from 'better-sqlite3';
import type {
  CrossedError,
  SqliteReady,
  SqliteRequest,
  SqliteResponse,
  SqliteThreadOptions,
} from './protocol.js';
import { cachedPrepare } from './statement-cache.js';

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
  }
  db.pragma('foreign_keys = ON');
  return db;
}

async function answer(
  db: BetterSqlite3.Database,
  prepare: (sql: string) => BetterSqlite3.Statement,
  request: SqliteRequest,
): Promise<SqliteResponse> {
  const { id } = request;
  try {
    if ('backupTo' in request) {
      await db.backup(request.backupTo, { progress: () => WHOLE_FILE });
      return { id, done: true };
    }
    const statement = prepare(request.sql);
    if (statement.reader) return { id, rows: statement.all(request.bindings) };
    const { changes, lastInsertRowid } = statement.run(request.bindings);
    return { id, changes, lastInsertRowid };
  } catch (error) {
    return { id, error: crossed(error) };
  }
}

function serve(): void {
  const port = parentPort!;
  let db: BetterSqlite3.Database;
  try {
    db = open(workerData as SqliteThreadOptions);
  } catch (error) {
    port.postMessage({ ready: false, error: crossed(error) } satisfies SqliteReady);
    return;
  }
  const prepare = cachedPrepare((sql) => db.prepare(sql));
  port.on('message', (request: SqliteRequest | 'close') => {
    if (request === 'close') {
      // Closing the last connection checkpoints the WAL into the database file.
      db.close();
      port.close();
      return;
    }
    void answer(db, prepare, request).then((response) => port.postMessage(response));
  });
  port.postMessage({ ready: true } satisfies SqliteReady);
}

serve();
