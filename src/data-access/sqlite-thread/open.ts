import fs from 'node:fs';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import { ConfigError } from '../../config.js';
import { inProcessClient, threadClient } from './client.js';
import { cachedPrepare } from './statement-cache.js';
import { DEFAULT_WAL_AUTOCHECKPOINT_PAGES } from './protocol.js';
import { knexReporting } from '../knex-log.js';
import { makeDataDir } from '../make-dir.js';
import { dataDirWriteProblem } from '../data-dir-problems.js';

export const SQLITE_FILE_NAME = 'durable-unsubscribe.sqlite';

export interface SqliteOptions {
  dataDir: string;
  sqliteBusyTimeoutMs: number;
  /** Reader threads for plain reads; 0: they run on the writer's thread. Default 2. */
  sqliteReadThreads?: number;
  /** WAL pages that trigger the writer's checkpoint (SQLITE_WAL_AUTOCHECKPOINT_PAGES). */
  sqliteWalAutocheckpointPages?: number;
  /** Hears of a thread that ended without being closed: one line, for the log. */
  onSqliteThreadExit?: (message: string) => void;
  /**
   * Opened read-only (a file or directory this user cannot write): nothing is created or
   * tightened, no write lock is ever taken, and every write fails.
   */
  readOnly?: boolean;
}

export interface OpenedSqlite {
  /** The writer: the file's one write connection (transactions, and reads that need it). */
  knex: Knex;
  /** Plain reads (UnitOfWork.read): the reader threads, or `knex` itself. */
  readKnex: Knex;
  location: string;
  /** Opened read-only (SqliteOptions.readOnly). */
  readOnly?: boolean;
  close(): Promise<void>;
}

/**
 * The data directory, readable by the service's user alone (0700): it holds every address,
 * the key-sealing secret and the development user's key. An existing directory is tightened.
 */
export function restrictDataDir(dataDir: string): void {
  makeDataDir(dataDir);
  if ((fs.statSync(dataDir).mode & 0o077) !== 0) {
    try {
      fs.chmodSync(dataDir, 0o700);
    } catch {
      // Not ours to change (a shared directory): the files below are 0600 all the same.
    }
  }
}

/**
 * What an operator reads when DATA_DIR cannot hold the database: one line naming the setting
 * (a stack trace from mkdir says neither which setting nor what to do).
 */
function unusableDataDir(dataDir: string, error: unknown): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return error;
  const why: Record<string, string> = {
    EEXIST: 'it is a file, not a directory',
    ENOTDIR: 'a part of the path is a file, not a directory',
    EISDIR: `${SQLITE_FILE_NAME} in it is a directory, not a file`,
  };
  if (why[code])
    return new ConfigError(`DATA_DIR: cannot keep the database in ${dataDir}: ${why[code]}`);
  // A disk that takes no write (full, read-only, not this user's): the line every other write
  // DATA_DIR refuses gives, the one the runbook's Troubleshooting shows.
  return (
    dataDirWriteProblem(dataDir, error) ??
    new ConfigError(`DATA_DIR: cannot keep the database in ${dataDir}: ${code}`)
  );
}

/**
 * DATA_DIR as `config` can check it without creating anything: a file where the directory, a
 * directory above it or the database file should be, refused in the start's own line.
 */
export function dataDirShapeProblem(dataDir: string): ConfigError | null {
  const stat = (p: string): fs.Stats | null => {
    try {
      return fs.statSync(p);
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ENOTDIR') throw error;
      return null; // Absent (made at the start) or unreadable (the start names why).
    }
  };
  let code: string | null = null;
  try {
    const dir = stat(dataDir);
    if (dir && !dir.isDirectory()) code = 'EEXIST';
    else if (dir && stat(path.join(dataDir, SQLITE_FILE_NAME))?.isDirectory()) code = 'EISDIR';
  } catch {
    code = 'ENOTDIR';
  }
  return code === null ? null : (unusableDataDir(dataDir, { code }) as ConfigError);
}

/**
 * The database file is created 0600 before SQLite opens it: SQLite gives its -wal and -shm
 * files the database file's mode. Files of older versions (0644) are tightened.
 */
function restrictDatabaseFiles(filename: string): void {
  fs.closeSync(fs.openSync(filename, 'a', 0o600));
  for (const f of [filename, `${filename}-wal`, `${filename}-shm`]) {
    if (fs.existsSync(f) && (fs.statSync(f).mode & 0o077) !== 0) fs.chmodSync(f, 0o600);
  }
}

interface InProcessConnection {
  pragma(source: string): unknown;
  prepare(source: string): unknown;
}

/**
 * An in-memory database exists in the one connection that made it: no other thread can see
 * it, so it stays in this process (it serves tests, where a blocked event loop costs nothing).
 */
function openInMemory(options: SqliteOptions): OpenedSqlite {
  const knex = knexFactory({
    client: inProcessClient() as unknown as typeof Knex.Client,
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
    ...knexReporting,
    pool: {
      min: 1,
      max: 1,
      afterCreate: (conn: InProcessConnection, done: (err: Error | null, c: unknown) => void) => {
        try {
          conn.pragma(`busy_timeout = ${options.sqliteBusyTimeoutMs}`);
          conn.pragma('foreign_keys = ON');
          conn.prepare = cachedPrepare(conn.prepare.bind(conn));
          done(null, conn);
        } catch (error) {
          done(error as Error, conn);
        }
      },
    },
  });
  return { knex, readKnex: knex, location: ':memory:', close: () => knex.destroy() };
}

/**
 * A database file: the service, the CLI and the tests all reach it through threads
 * (sqlite-thread/), one code path whoever runs it. The writer thread holds the one write
 * connection; group commit (unit-of-work.ts) queues the transactions on it, and COMMIT's
 * fsync waits there, not on the event loop. Reader threads hold read-only connections for
 * plain reads: in WAL mode they read the last commit while the writer writes the next.
 */
export function openSqlite(options: SqliteOptions): OpenedSqlite {
  if (options.dataDir === ':memory:') return openInMemory(options);
  const filename = path.join(options.dataDir, SQLITE_FILE_NAME);
  const readOnly = options.readOnly === true;
  try {
    if (!readOnly) {
      restrictDataDir(options.dataDir);
      restrictDatabaseFiles(filename);
    }
  } catch (error) {
    throw unusableDataDir(options.dataDir, error);
  }
  const connection = (readonly: boolean) => ({
    filename,
    readonly,
    busyTimeoutMs: options.sqliteBusyTimeoutMs,
    walAutocheckpointPages:
      options.sqliteWalAutocheckpointPages ?? DEFAULT_WAL_AUTOCHECKPOINT_PAGES,
  });
  const knex = knexFactory({
    client: threadClient(options.onSqliteThreadExit) as unknown as typeof Knex.Client,
    connection: connection(readOnly),
    useNullAsDefault: true,
    ...knexReporting,
    // One write connection per process: SQLite has one writer per file anyway, and group
    // commit shares its transactions.
    pool: { min: 1, max: 1 },
  });
  const readThreads = readOnly ? 0 : (options.sqliteReadThreads ?? 2);
  if (readThreads === 0)
    return { knex, readKnex: knex, location: filename, readOnly, close: () => knex.destroy() };
  const readKnex = knexFactory({
    client: threadClient(options.onSqliteThreadExit) as unknown as typeof Knex.Client,
    connection: connection(true),
    useNullAsDefault: true,
    ...knexReporting,
    // Started on the first read (after the writer has put the file in WAL mode, which a
    // read-only connection cannot do), kept while reads come.
    pool: { min: 0, max: readThreads, idleTimeoutMillis: 60000 },
  });
  return {
    knex,
    readKnex,
    location: filename,
    async close() {
      // Readers first: the writer, closing last, checkpoints the WAL into the file.
      await readKnex.destroy();
      await knex.destroy();
    },
  };
}
