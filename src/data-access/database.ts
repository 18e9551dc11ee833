import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import {
  openSqlite,
  restrictDataDir,
  SQLITE_FILE_NAME,
  type SqliteOptions,
} from './sqlite-thread/open.js';
import { databaseHost, redactedUrl } from './connection-problem.js';
import { pgConnectionString } from '../config/ssl-mode.js';
import { knexReporting, pgKnexLog } from './knex-log.js';
import { setPropagationLog, type PropagationLog } from './propagation-log.js';
import { deferredBeginPgClient } from './pg-client.js';

export { connectionProblem, databaseHost, tlsProblem } from './connection-problem.js';

export type Engine = 'sqlite' | 'postgres';

export interface Database {
  readonly knex: Knex;
  /**
   * Plain reads (UnitOfWork.read): SQLite's reader threads (sqlite-thread/open.ts); the same
   * as `knex` on PostgreSQL, whose pool already serves reads beside writes.
   */
  readonly readKnex: Knex;
  readonly engine: Engine;
  /** Where the data lives, for log lines: the SQLite file, or the PostgreSQL URL without its password. */
  readonly location: string;
  /** The PostgreSQL URL (secret: never log it), for tools such as backup; absent on SQLite. */
  readonly url?: string;
  /** SQLite opened read-only (DatabaseOptions.readOnly): nothing can be written. */
  readonly readOnly?: boolean;
  close(): Promise<void>;
}

/** The SQLite file's options (sqlite-thread/open.ts), and PostgreSQL's. */
export interface DatabaseOptions extends SqliteOptions {
  databaseUrl: string;
  /**
   * PostgreSQL: hears, in one line, of pooled connections the server closed while idle (a
   * restart); without it they are replaced silently.
   */
  onConnectionLost?: (message: string) => void;
  dbPoolMax: number;
  /** PostgreSQL: how long a query waits for a free pool connection (default 5,000 ms). */
  dbAcquireTimeoutMs?: number;
  /** PostgreSQL statement_timeout in ms (0: none), set in each write transaction. */
  dbStatementTimeoutMs?: number;
  /**
   * PostgreSQL: commit write transactions with synchronous_commit=remote_apply, so that a
   * synchronous standby shows a write before it is acknowledged (reads served there then see
   * the caller's own writes).
   */
  commitVisibleOnStandby?: boolean;
  /** How a propagation logs its followers (PROPAGATION_LOG, propagation-log.ts). */
  propagationLog?: PropagationLog;
}

export { SQLITE_FILE_NAME, restrictDataDir };

// int8 (counts, bigint epoch-millisecond columns) comes back from pg as text; every value we
// store there is far below 2^53, so numbers are exact and the repositories see one type.
pg.types.setTypeParser(pg.types.builtins.INT8, (v: string) => Number(v));

function redact(url: string): string {
  return redactedUrl(url) ?? 'postgres (unparseable URL)';
}

/** The `SET LOCAL` settings every write transaction starts with (PostgreSQL, sent with BEGIN). */
export function transactionSettings(options: DatabaseOptions): string[] {
  const settings: string[] = [];
  const ms = Math.trunc(options.dbStatementTimeoutMs ?? 0);
  if (ms > 0) settings.push(`statement_timeout = ${ms}`);
  if (options.commitVisibleOnStandby) settings.push('synchronous_commit = remote_apply');
  return settings;
}

function openPostgres(options: DatabaseOptions): Database {
  const knex = knexFactory({
    client: deferredBeginPgClient(
      transactionSettings(options),
      Math.trunc(options.dbStatementTimeoutMs ?? 0),
    ) as unknown as typeof Knex.Client,
    connection: {
      // sslmode=require spelled as pg takes it (verify-full): config/ssl-mode.ts.
      connectionString: pgConnectionString(options.databaseUrl),
      // A server that never answers (a failover in progress, a dropped route) fails the attempt
      // before the pool's acquire timeout, so callers get 20011 (database unavailable), not
      // 20024 (every connection busy), and the pool can be closed.
      connectionTimeoutMillis: 4000,
    },
    // No session state (no SET at connect, no named prepared statements): behind PgBouncer in
    // transaction mode, consecutive transactions of one connection run on different servers.
    pool: { min: 0, max: options.dbPoolMax },
    // Every connection busy (a burst, or lock waits behind a hot address): the call gets 20024
    // after this long. A server that is down fails sooner, at connectionTimeoutMillis (20011).
    acquireConnectionTimeout: options.dbAcquireTimeoutMs ?? 5000,
    // knex prints every failed connection attempt with its stack trace; those failures reach
    // the callers, which report them in one line naming DATABASE_URL (or fault 20011).
    ...knexReporting,
    log: pgKnexLog(databaseHost(options.databaseUrl), options.onConnectionLost),
  });
  return {
    knex,
    readKnex: knex,
    engine: 'postgres',
    location: redact(options.databaseUrl),
    url: options.databaseUrl,
    close: () => knex.destroy(),
  };
}

/**
 * Refreshes the query planner's statistics, as after a bulk load. (PostgreSQL's autovacuum
 * does it by itself within a minute or so; until then a fresh table can get poor plans.)
 */
export async function analyze(database: Database): Promise<void> {
  await database.knex.raw('ANALYZE');
}

export function openDatabase(options: DatabaseOptions): Database {
  const db: Database = options.databaseUrl
    ? openPostgres(options)
    : { ...openSqlite(options), engine: 'sqlite' };
  setPropagationLog(db.knex, options.propagationLog ?? 'followers');
  return db;
}
